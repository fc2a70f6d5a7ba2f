package link

import (
	"time"

	"github.com/kyso-vn/kyso/record"
)

// Paths of the link's endpoints. The ward serves the first group, the kiosk
// the second; both sides and every test name them from here.
const (
	PathPush     = "/api/v1/records"  // kiosk → ward: POST a PushRequest
	PathPair     = "/api/v1/pair"     // kiosk → ward: POST a PairRequest
	PathProve    = "/api/v1/prove"    // kiosk → ward: GET ?kiosk_id=&nonce=
	PathProgress = "/api/v1/progress" // kiosk → ward: GET [?kiosk_id=&nonce=]

	PathChallenge = "/api/v1/challenge" // ward → kiosk: GET a Challenge
	PathRecords   = "/api/v1/records"   // ward → kiosk: GET ?after=&limit= a Page
	PathHealth    = "/healthz"          // ward → kiosk: GET, for the version
)

// PushRequest is the body of POST /api/v1/records on the ward.
type PushRequest struct {
	KioskID string          `json:"kiosk_id"`
	HeadSeq uint64          `json:"head_seq,omitempty"`
	Version string          `json:"version,omitempty"`
	Now     *time.Time      `json:"now,omitempty"` // the kiosk's clock when it sent, for skew
	Records []record.Record `json:"records"`
}

// Conflict names a delivery that differed from the record held at its key.
type Conflict struct {
	KioskID string `json:"kiosk_id"`
	Seq     uint64 `json:"seq"`
}

// PushResponse is the ward's answer to a push: the highest contiguous seq it
// holds for that kiosk. The kiosk advances its cursor only from this value,
// and only after the reply's signature and Check pass. A 409 carries it too,
// with the conflicts and the error that explains them.
type PushResponse struct {
	AckedSeq  uint64     `json:"acked_seq"`
	WardTime  time.Time  `json:"ward_time"`
	Conflicts []Conflict `json:"conflicts,omitempty"`
	Error     *Reason    `json:"error,omitempty"`
}

// Page is the answer of GET /api/v1/records on a kiosk.
type Page struct {
	KioskID string          `json:"kiosk_id"`
	HeadSeq uint64          `json:"head_seq"`
	Records []record.Record `json:"records"`
}

// Challenge is the kiosk's one-time nonce for a signed pull.
type Challenge struct {
	Nonce string `json:"nonce"`
}

// Proof is the ward's answer to GET /api/v1/prove.
type Proof struct {
	Proof string `json:"proof"`
}

// PairRequest is the body of POST /api/v1/pair. The contract's form carries
// the code itself; our kiosk sends CodeProof instead (HMAC of the code over
// Nonce), so a machine answering at the ward's address never learns the
// code and cannot sign a reply with it.
type PairRequest struct {
	Code      string `json:"code,omitempty"`
	Nonce     string `json:"nonce,omitempty"`
	CodeProof string `json:"code_proof,omitempty"`
	Version   string `json:"version,omitempty"`
	PublicURL string `json:"public_url,omitempty"`
}

// PairResponse is the identity and secret a kiosk receives for its code.
type PairResponse struct {
	KioskID string `json:"kiosk_id"`
	Name    string `json:"name"`
	Village string `json:"village"`
	WardURL string `json:"ward_url"`
	Token   string `json:"token"`
}

// Info is the part of the ward's public progress document the kiosk reads:
// villages and associations for the join form, targets for the board. The
// ward serves more (tally.Progress); unknown fields are ignored.
type Info struct {
	Villages     []VillageProgress `json:"villages"`
	Associations []struct {
		Name string `json:"name"`
	} `json:"associations"`
}

// VillageProgress is one village's target and count.
type VillageProgress struct {
	Name    string  `json:"name"`
	Target  int     `json:"target"`
	Before  int     `json:"before"`
	Have    int     `json:"have"`
	Percent float64 `json:"percent"`
}

// KioskHealth is the part of a kiosk's /healthz the ward reads.
type KioskHealth struct {
	Version string `json:"version"`
	KioskID string `json:"kiosk_id"`
	HeadSeq uint64 `json:"head_seq"`
}
