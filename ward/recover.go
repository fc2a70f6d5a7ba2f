package ward

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/ward/store"
)

// maxRecoverPage bounds one page a kiosk takes back.
const maxRecoverPage = 5000

// postRecover gives a kiosk whose store was damaged its own records back,
// a page at a time, sealed and signed with its token: the ward is the
// kiosk's backup. It serves records as delivered (purged ones carry no
// personal fields any more) and names the seqs it never received.
func (s *Service) postRecover(c *fiber.Ctx) error {
	id, tok, nonce, plain, err := s.openSealed(c)
	if err != nil {
		return err
	}
	var req link.RecoverRequest
	if err := json.Unmarshal(plain, &req); err != nil || req.KioskID != id {
		return errBadJSON
	}
	if r := req.Report; r != nil {
		// The end of a repair: keep what the kiosk lost where the office sees it.
		if err := s.fleet.repaired(id, *r); err != nil {
			return err
		}
		s.log.Warn("kiosk repaired its damaged store from the ward", "kiosk", id, "from_ward", r.FromWard,
			"from_backup", r.FromBackup, "pending", r.Pending, "head_seq", r.HeadSeq, "lost_ranges", len(r.Lost))
		return sendSealed(c, link.Recovered{KioskID: id, Page: link.Page{KioskID: id, Records: []record.Record{}}}, tok, link.ReplyRecover, id, nonce)
	}
	limit := req.Limit
	if limit <= 0 || limit > maxRecoverPage {
		limit = maxRecoverPage
	}
	kc := s.led.tally.Kiosk(id)
	out := link.Recovered{KioskID: id, HeadSeq: kc.MaxSeq, Page: link.Page{KioskID: id, HeadSeq: kc.MaxSeq}}
	var refs []store.Ref
	for seq := req.After + 1; seq <= kc.MaxSeq && len(refs) < limit; seq++ {
		if _, held := s.led.tally.Lookup(id, seq); held {
			refs = append(refs, store.Ref{Kiosk: id, Seq: seq})
		} else if n := len(out.Missing); n > 0 && out.Missing[n-1].To == seq-1 {
			out.Missing[n-1].To = seq
		} else {
			out.Missing = append(out.Missing, link.Range{From: seq, To: seq})
		}
	}
	if err := s.store.GetRecords(refs, func(st store.Stored) error {
		out.Page.Records = append(out.Page.Records, st.Record)
		return nil
	}); err != nil {
		return err
	}
	s.log.Info("kiosk takes back its records", "kiosk", id, "after", req.After, "records", len(out.Page.Records), "missing_ranges", len(out.Missing))
	return sendSealed(c, out, tok, link.ReplyRecover, id, nonce)
}
