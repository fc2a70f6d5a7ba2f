package ward

import (
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/ward/quota"
)

// principal is who makes a request: the admin, or a unit head limited to
// one village or one association.
type principal struct {
	Login       string
	Village     string
	Association string
}

// adminLogin names the admin in logs and the export log.
const adminLogin = "admin"

// Admin reports whether the principal may see and change everything.
func (p principal) Admin() bool { return p.Login == adminLogin }

// user is a unit head's login as the store keeps it.
type user struct {
	Login       string      `json:"login"`
	Secret      adminSecret `json:"secret"`
	Village     string      `json:"village,omitempty"`
	Association string      `json:"association,omitempty"`
	Created     time.Time   `json:"created"`
	By          string      `json:"by"`
}

// UserRequest is the body of POST /api/v1/users.
type UserRequest struct {
	Login       string `json:"login"`
	Password    string `json:"password"`
	Village     string `json:"village"`
	Association string `json:"association"`
}

// UserReply is what the ward says of a login (never its secret).
type UserReply struct {
	Login       string    `json:"login"`
	Village     string    `json:"village,omitempty"`
	Association string    `json:"association,omitempty"`
	Created     time.Time `json:"created"`
}

var loginRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,31}$`)

var (
	errBadLogin    = newErr(422, "invalid_login", "login", "Tên đăng nhập gồm 3–32 chữ thường không dấu, số, dấu chấm, gạch dưới hoặc gạch ngang.")
	errWeakPass    = newErr(422, "weak_password", "password", "Mật khẩu cần ít nhất 8 ký tự.")
	errUnitNeeded  = newErr(422, "invalid_unit", "village", "Chọn đúng một đơn vị: một thôn hoặc một đoàn thể trong kế hoạch.")
	errLoginExists = newErr(409, "login_exists", "login", "Tên đăng nhập này đã có.")
)

// users holds the unit heads' logins, in memory and in the store.
type users struct {
	put  func(key string, v any) error
	iter int

	mu sync.RWMutex
	by map[string]user
}

const pUser = "user/"

func loadUsers(each func(prefix string, fn func(raw []byte) error) error, put func(string, any) error, iter int) (*users, error) {
	u := &users{put: put, iter: iter, by: map[string]user{}}
	err := each(pUser, func(raw []byte) error {
		var x user
		if err := json.Unmarshal(raw, &x); err != nil {
			return err
		}
		u.by[x.Login] = x
		return nil
	})
	return u, err
}

// add creates a unit head's login after checking it against the plan.
func (u *users) add(req UserRequest, plan quota.Plan, by string, now time.Time) (UserReply, error) {
	login := strings.ToLower(strings.TrimSpace(req.Login))
	if !loginRe.MatchString(login) || login == adminLogin {
		return UserReply{}, errBadLogin
	}
	if len([]rune(req.Password)) < 8 || len(req.Password) > 200 {
		return UserReply{}, errWeakPass
	}
	v, a := quota.Clean(req.Village), quota.Clean(req.Association)
	if (v == "") == (a == "") {
		return UserReply{}, errUnitNeeded
	}
	found := false
	if v != "" {
		for _, row := range plan.Villages.Rows {
			if quota.Key(row.Name) == quota.Key(v) {
				v, found = row.Name, true
			}
		}
	} else {
		for _, row := range plan.Associations {
			if quota.Key(row.Name) == quota.Key(a) {
				a, found = row.Name, true
			}
		}
	}
	if !found {
		return UserReply{}, errUnitNeeded
	}
	u.mu.RLock()
	_, exists := u.by[login]
	u.mu.RUnlock()
	if exists {
		return UserReply{}, errLoginExists
	}
	sec, err := hashPassword(req.Password, u.iter)
	if err != nil {
		return UserReply{}, err
	}
	x := user{Login: login, Secret: sec, Village: v, Association: a, Created: now.UTC(), By: by}
	u.mu.Lock()
	defer u.mu.Unlock()
	if _, ok := u.by[login]; ok {
		return UserReply{}, errLoginExists
	}
	if err := u.put(pUser+login, x); err != nil {
		return UserReply{}, err
	}
	u.by[login] = x
	return UserReply{Login: login, Village: v, Association: a, Created: x.Created}, nil
}

// get returns a login's record.
func (u *users) get(login string) (user, bool) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	x, ok := u.by[strings.ToLower(login)]
	return x, ok
}

// list returns every login, sorted.
func (u *users) list() []UserReply {
	u.mu.RLock()
	defer u.mu.RUnlock()
	out := make([]UserReply, 0, len(u.by))
	for _, x := range u.by {
		out = append(out, UserReply{Login: x.Login, Village: x.Village, Association: x.Association, Created: x.Created})
	}
	sortReplies(out)
	return out
}

func sortReplies(r []UserReply) {
	for i := 1; i < len(r); i++ {
		for j := i; j > 0 && r[j].Login < r[j-1].Login; j-- {
			r[j], r[j-1] = r[j-1], r[j]
		}
	}
}

func (x user) principal() principal {
	return principal{Login: x.Login, Village: x.Village, Association: x.Association}
}
