package queue

import (
	"errors"
	"time"

	"github.com/kyso-vn/kyso/internal/kv"
	"github.com/kyso-vn/kyso/record"
)

// Status of a ticket.
type Status string

// Ticket states.
const (
	Waiting   Status = "waiting"
	Called    Status = "called"
	Activated Status = "activated"
	Failed    Status = "failed"
	NoShow    Status = "no_show"
	Cancelled Status = "cancelled"
)

// Active reports whether a ticket in this state still holds a place.
func (s Status) Active() bool { return s == Waiting || s == Called }

// Ticket is one citizen's place in tonight's queue.
type Ticket struct {
	ID             string         `json:"id"`
	Day            string         `json:"day"`
	Number         int            `json:"number"`
	Order          int64          `json:"order"` // place in line; requeue moves it to the back
	Status         Status         `json:"status"`
	Citizen        record.Citizen `json:"citizen"`
	TokenHash      string         `json:"token_hash"`
	ConsentAt      time.Time      `json:"consent_at"`
	ConsentVersion string         `json:"consent_version"`
	ConsentBy      string         `json:"consent_by"`
	JoinedAt       time.Time      `json:"joined_at"`
	CalledAt       time.Time      `json:"called_at,omitzero"`
	FinishedAt     time.Time      `json:"finished_at,omitzero"`
	Desk           int            `json:"desk,omitempty"`
	Volunteer      string         `json:"volunteer,omitempty"`
	RecordID       string         `json:"record_id,omitempty"`
}

// Errors of the domain; the HTTP layer maps each to a status and a message.
var (
	ErrNotFound         = errors.New("ticket not found")
	ErrAlreadyQueued    = errors.New("citizen already in the queue")
	ErrAlreadyActivated = errors.New("citizen already activated")
	ErrBadState         = errors.New("ticket is not in a state that allows this")
	ErrBadDesk          = errors.New("no such desk")
	ErrBadOutcome       = errors.New("unknown outcome or reason")
	ErrUnavailable      = kv.ErrUnavailable
	ErrNewerFormat      = errors.New("data was written by a newer kyso")
)

// Failure reasons a volunteer can record.
var Reasons = []string{"no_smartphone", "phone_unsupported", "no_email", "ekyc_failed", "no_network", "left", "other"}

func validReason(r string) bool {
	for _, x := range Reasons {
		if x == r {
			return true
		}
	}
	return false
}

// Join is what the queue needs to add a citizen. The citizen is already
// validated and normalised by the caller.
type Join struct {
	Citizen        record.Citizen
	ConsentVersion string
	ConsentBy      string // "citizen" or the volunteer who registered a walk-in
	Token          string // the bearer secret handed to the citizen; only its hash is kept
}

// Completion is a volunteer's final word on a called ticket.
type Completion struct {
	Outcome    string
	Reason     string
	Note       string
	Corrected  *record.Citizen // the full, re-validated citizen when fields were corrected
	Volunteer  string
	Desk       int
	DeviceTime *time.Time
}

// DeskState is what the board shows for one desk.
type DeskState struct {
	Desk     int       `json:"desk"`
	Number   int       `json:"number"`
	CalledAt time.Time `json:"called_at,omitzero"`
}

// Call is one announcement on the board: a next or a recall.
type Call struct {
	ID     int64     `json:"id"`
	Number int       `json:"number"`
	Desk   int       `json:"desk"`
	At     time.Time `json:"at"`
}

// Counters are tonight's totals.
type Counters struct {
	Joined    int `json:"joined"`
	Served    int `json:"served"`
	Activated int `json:"activated"`
	Failed    int `json:"failed"`
	NoShow    int `json:"no_show"`
}

// Snapshot is the public state of the queue: numbers only, no personal data.
type Snapshot struct {
	Rev               int64       `json:"rev"`
	Desks             []DeskState `json:"desks"`
	Next              []int       `json:"next"`
	Waiting           int         `json:"waiting"`
	Tonight           Counters    `json:"tonight"`
	AvgServiceSeconds int         `json:"avg_service_seconds"`
	ActiveDesks       int         `json:"active_desks"`
	Calls             []Call      `json:"calls"`
	ActivatedTotal    int         `json:"activated_total"`
}
