// Package deploy holds no Go code: it is the Raspberry Pi appliance (systemd
// units, install script, TV kiosk script, env examples, the deployment guide
// in README.md) and the tests that keep it honest.
//
// Invariants, checked by deploy_test.go:
//   - Every *.sh passes shellcheck; every unit passes systemd-analyze verify
//     with no warning about it, and the services stay at a low exposure score.
//   - The kiosk and ward services run as the kyso user with no capability,
//     may write /var/lib/kyso only, and restart forever.
//   - install.sh is idempotent: a second run into the same root leaves the
//     same tree (paths, modes, contents), and it never overwrites a setting
//     in /etc/kyso/<role>.env nor makes a secret.
//   - The env examples name every flag of the programs as KYSO_ + upper snake
//     case, and nothing else.
package deploy
