package ward

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/internal/httpx"
	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/ward/store"
)

// api is the HTTP layer's JSON side: kiosks' pushes, pairing and proofs,
// the public progress, the admin's JSON endpoints and downloads. Each
// handler reads the request, calls the domain (ledger, registry, fleet,
// campaign) and writes the answer; it holds no state of its own. Routes
// are in routes.go.
type api struct {
	cfg   Config
	log   *slog.Logger
	led   *ledger
	reg   *registry
	fleet *fleet
	camp  *campaign
	gate  *gate
	// unverified bounds the signed pushes read before their signature can
	// be checked (it covers the body): all together hold one full push.
	unverified *httpx.Budget
	// tallies are the office's per-volunteer and per-house counts for the
	// summary workbook (set by officeRoutes).
	tallies func() Tallies
}

// ---- public ----

func (a *api) healthz(c *fiber.Ctx) error {
	_, q := a.led.quarantined()
	kiosks := len(a.reg.ids())
	return c.JSON(fiber.Map{"status": "ok", "version": a.cfg.Version, "records": a.led.tally.Len(), "kiosks": kiosks, "quarantined": q})
}

func (a *api) getKiosks(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"kiosks": a.fleet.KioskHealth(), "ward_time": a.cfg.Now().UTC()})
}

// getVillages lists the plan's names for kiosks' join forms.
func (a *api) getVillages(c *fiber.Ctx) error {
	v, as, rounds, deadline := a.camp.names()
	return c.JSON(fiber.Map{"villages": v, "associations": as, "rounds": rounds, "deadline": deadline})
}

// ---- logins ----

func (a *api) apiLogin(c *fiber.Ctx) error {
	var body struct {
		Login    string `json:"login"`
		Password string `json:"password"`
	}
	if err := json.Unmarshal(c.Body(), &body); err != nil {
		return errBadJSON
	}
	sess, err := a.gate.login(c, body.Login, body.Password)
	if err != nil {
		return err
	}
	p, _ := a.gate.principalOf(sess.Who)
	return c.JSON(fiber.Map{"csrf_token": sess.CSRF, "login": p.Login, "village": p.Village, "association": p.Association})
}

func (a *api) apiLogout(c *fiber.Ctx, _ principal) error {
	a.gate.logout(c)
	return c.JSON(fiber.Map{"status": "ok"})
}

func (a *api) apiSession(c *fiber.Ctx, p principal) error {
	csrf, _ := c.Locals("csrf").(string)
	return c.JSON(fiber.Map{"csrf_token": csrf, "login": p.Login, "village": p.Village, "association": p.Association})
}

// ---- admin JSON ----

func (a *api) getQuarantine(c *fiber.Ctx) error {
	items, err := a.led.QuarantineList()
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items})
}

// uploadFile opens a request's file: the multipart field "file", or the
// body itself, as a stream within the route's limit. Multipart parts over
// a few KB wait in a temporary file, not in memory.
func uploadFile(c *fiber.Ctx) (io.ReadCloser, error) {
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		fh, err := c.FormFile("file")
		if err != nil {
			return nil, errNoFile
		}
		f, err := fh.Open()
		if err != nil {
			return nil, errNoFile
		}
		return f, nil
	}
	if c.Request().Header.ContentLength() == 0 {
		return nil, errNoFile
	}
	return io.NopCloser(httpx.Reader(c)), nil
}

// upload reads a request's file (see uploadFile), at most limit bytes.
func upload(c *fiber.Ctx, limit int64) ([]byte, error) {
	f, err := uploadFile(c)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	var he *httpx.Error
	switch {
	case errors.As(err, &he):
		return nil, he
	case err != nil:
		return nil, errNoFile
	case int64(len(b)) > limit:
		return nil, errTooLarge
	case len(b) == 0:
		return nil, errNoFile
	}
	return b, nil
}

// postImport streams the batch file into ImportBatch: a file of millions
// of empty records is refused at the first one, not after it was all held.
func (a *api) postImport(c *fiber.Ctx) error {
	f, err := uploadFile(c)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := a.led.ImportBatch(f)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func (a *api) postQuotas(c *fiber.Ctx) error {
	data, err := upload(c, maxCSV)
	if err != nil {
		return err
	}
	v, err := a.camp.SetVillages(data)
	if err != nil {
		return err
	}
	t := v.Totals()
	return c.JSON(fiber.Map{"villages": len(v.Rows), "base": t.Base, "target": t.Target, "before": t.Before})
}

// textBody is a CSV sent as the body or as the multipart field "file"; an
// empty body is allowed (it clears the list).
func textBody(c *fiber.Ctx) ([]byte, error) {
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		return upload(c, maxCSV)
	}
	return httpx.Body(c)
}

func (a *api) postAssociations(c *fiber.Ctx) error {
	body, err := textBody(c)
	if err != nil {
		return err
	}
	as, err := a.camp.SetAssociations(body)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"associations": as})
}

func (a *api) postRounds(c *fiber.Ctx) error {
	body, err := textBody(c)
	if err != nil {
		return err
	}
	r, err := a.camp.SetRounds(body)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"rounds": r})
}

func (a *api) postDeadline(c *fiber.Ctx) error {
	var body struct {
		Deadline string `json:"deadline"`
	}
	if err := json.Unmarshal(c.Body(), &body); err != nil {
		return errBadJSON
	}
	d, err := a.camp.SetDeadline(body.Deadline)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"deadline": d})
}

func (a *api) postKiosk(c *fiber.Ctx) error {
	var body struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(c.Body(), &body); err != nil {
		return errBadJSON
	}
	tok, err := a.reg.AddKiosk(strings.TrimSpace(body.ID), SourceUI)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": body.ID, "token": tok})
}

func (a *api) postPull(c *fiber.Ctx) error {
	var body PullTarget
	if err := json.Unmarshal(c.Body(), &body); err != nil {
		return errBadJSON
	}
	t, err := a.fleet.AddUIPull(body.KioskID, body.URL)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(t)
}

func (a *api) deletePull(c *fiber.Ctx) error {
	if err := a.fleet.RemoveUIPull(c.Params("id")); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"status": "ok"})
}

// ---- kiosk push (authenticated before the body is read) ----

func bearer(c *fiber.Ctx) string {
	h := c.Get(fiber.HeaderAuthorization)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func (a *api) postRecords(c *fiber.Ctx) error {
	req, auth, err := a.openPush(c) // authenticated before the body is read
	if err != nil {
		return err
	}
	res, err := a.led.ingest(auth.kioskID, req.Records, contact{via: store.ViaPush, headSeq: req.HeadSeq, version: req.Version, kioskTime: req.Now})
	if err != nil {
		return err
	}
	return a.replyPush(c, auth, res)
}

// pushAuth is how a push proved its kiosk: the token and the request's
// nonce sign the reply. The contract's Bearer form has no nonce; its reply
// goes unsigned (our kiosk never sends it).
type pushAuth struct {
	kioskID, token, nonce string
}

// openPush authenticates a push before parsing it (a stranger's body costs
// nothing) and returns its request. Our kiosks sign and seal (the token
// never travels; see link/sign.go); the contract's Bearer push with a plain
// JSON body stays accepted.
func (a *api) openPush(c *fiber.Ctx) (link.PushRequest, pushAuth, error) {
	var req link.PushRequest
	var auth pushAuth
	var body []byte
	if id, nonce, sig, signed := link.ParsePushAuthorization(c.Get(fiber.HeaderAuthorization)); signed {
		// Our kiosks sign and seal (the token never travels). A known id
		// is needed before any byte is read; the signature is checked on
		// a body read within a budget shared by all unverified pushes.
		tok, known := a.reg.tokenFor(id)
		if !known {
			return req, auth, errBadToken
		}
		b, err := httpx.BodyWithin(c, a.unverified)
		if err != nil {
			return req, auth, err
		}
		if !link.VerifyPush(tok, id, nonce, sig, b) {
			return req, auth, errBadToken
		}
		body = b
		plain, err := link.OpenPayload(tok, nonce, body)
		if err != nil {
			return req, auth, errBadJSON
		}
		auth, body = pushAuth{kioskID: id, token: tok, nonce: nonce}, plain
	} else {
		id, ok := a.reg.kioskByToken(bearer(c))
		if !ok {
			return req, auth, errBadToken
		}
		b, err := httpx.Body(c)
		if err != nil {
			return req, auth, err
		}
		auth.kioskID, body = id, b
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return req, auth, errBadJSON
	}
	if req.KioskID == "" {
		return req, auth, errNoKioskID
	}
	if req.KioskID != auth.kioskID {
		return req, auth, errBadToken
	}
	return req, auth, nil
}

// replyPush answers a push with the ward's acked_seq and time, signed for
// the kiosk: the kiosk moves its cursor only on a reply it can verify.
func (a *api) replyPush(c *fiber.Ctx, auth pushAuth, res IngestResult) error {
	resp := link.PushResponse{AckedSeq: res.AckedSeq, WardTime: a.cfg.Now().UTC()}
	status := fiber.StatusOK
	if len(res.Conflicts) > 0 {
		// The good records are kept; the conflicting ones are quarantined.
		status, resp.Conflicts, resp.Error = fiber.StatusConflict, res.Conflicts, link.ReasonConflict
	}
	return sendSigned(c, status, resp, auth.token, link.ReplyPush, auth.kioskID, auth.nonce)
}

// sendSigned sends v as JSON with the link's reply signature when key and
// nonce are known.
func sendSigned(c *fiber.Ctx, status int, v any, key, kind, kioskID, nonce string) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if key != "" && nonce != "" {
		c.Set(link.ReplyHeader, link.SignReply(key, kind, kioskID, nonce, status, b))
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Status(status).Send(b)
}

// ---- pairing ----

// postPair is called by a kiosk with the code a volunteer typed (the
// contract's form) or a proof of it (ours). The reply is signed with the
// code over the kiosk's nonce: the kiosk pairs only with the ward that
// handed the code out.
func (a *api) postPair(c *fiber.Ctx) error {
	var b link.PairRequest
	if err := json.Unmarshal(c.Body(), &b); err != nil {
		return errBadJSON
	}
	p, code, err := a.reg.redeem(b, c.IP())
	if err != nil {
		return err
	}
	a.log.Info("kiosk paired", "kiosk_id", p.KioskID, "client", c.IP())
	return sendSigned(c, fiber.StatusOK, link.PairResponse{KioskID: p.KioskID, Name: p.Name, Village: p.Village, Token: p.Token},
		code, link.ReplyPair, "", b.Nonce)
}

// getProgress answers GET /api/v1/progress. A kiosk asks with its id and a
// nonce, and gets the document signed with its token: what its board and
// join form show comes from the real ward. Everyone else gets it unsigned.
func (a *api) getProgress(c *fiber.Ctx) error {
	id, nonce := c.Query("kiosk_id"), c.Query("nonce")
	tok := ""
	if id != "" && link.ValidNonce(nonce) {
		tok, _ = a.reg.tokenFor(id)
	}
	// Aggregates only: names the plan does not know were typed by citizens
	// and are folded into one row (the dashboard reads them at /full).
	return sendSigned(c, fiber.StatusOK, a.camp.Progress().Public(), tok, link.ReplyInfo, id, nonce)
}

// postPairing is the official creating a code (admin).
func (a *api) postPairing(c *fiber.Ctx) error {
	var b struct {
		ID      string `json:"kiosk_id"`
		Name    string `json:"name"`
		Village string `json:"village"`
	}
	if err := json.Unmarshal(c.Body(), &b); err != nil {
		return errBadJSON
	}
	code, exp, err := a.reg.NewPairing(strings.TrimSpace(b.ID), b.Name, b.Village)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"kiosk_id": b.ID, "code": FormatPairCode(code), "expires_at": exp.UTC()})
}

// getProve lets a kiosk that found this ward by mDNS check it is the real
// ward: only the real one holds the kiosk's token.
func (a *api) getProve(c *fiber.Ctx) error {
	id, nonce := c.Query("kiosk_id"), c.Query("nonce")
	if !link.ValidNonce(nonce) {
		return errBadNonce
	}
	tok, ok := a.reg.tokenFor(id)
	if !ok {
		return errNoKiosk
	}
	return c.JSON(link.Proof{Proof: link.WardProof(tok, id, nonce)})
}
