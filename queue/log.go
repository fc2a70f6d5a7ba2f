package queue

// Log is the completion log as the forwarder, the ward's pulls and the
// tablet's recent list read it: records in seq order, the head, and the
// seq the ward acknowledged. It shares the queue's store and locks; it is
// a type of its own so that the queue keeps one job (tickets and desks).
type Log struct{ q *Queue }

// Log returns the queue's completion log.
func (q *Queue) Log() *Log { return &Log{q} }
