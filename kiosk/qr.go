package kiosk

import (
	"fmt"
	"strings"
	"sync"

	qrcode "github.com/skip2/go-qrcode"
)

// qrCache renders each QR PNG once: the TV asks for them on every reload.
type qrCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func newQRCache() *qrCache { return &qrCache{m: map[string][]byte{}} }

// png renders content with Medium recovery, 12 px per module (a negative
// size in go-qrcode) and the standard 4-module quiet zone: crisp modules
// scan from the back of a room.
func (c *qrCache) png(content string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.m[content]; ok {
		return b, nil
	}
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	b, err := q.PNG(-12)
	if err != nil {
		return nil, err
	}
	c.m[content] = b
	return b, nil
}

// wifiPayload is the de-facto standard Wi-Fi QR format phones understand.
func wifiPayload(ssid, password string) string {
	esc := strings.NewReplacer(`\`, `\\`, `;`, `\;`, `,`, `\,`, `:`, `\:`, `"`, `\"`)
	if password == "" {
		return fmt.Sprintf("WIFI:T:nopass;S:%s;;", esc.Replace(ssid))
	}
	return fmt.Sprintf("WIFI:T:WPA;S:%s;P:%s;;", esc.Replace(ssid), esc.Replace(password))
}
