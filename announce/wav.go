package announce

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// ErrNoSpeech means the machine cannot speak: espeak-ng is not installed.
// Errors from WAV wrap it; test with errors.Is.
var ErrNoSpeech = errors.New("Máy chưa cài espeak-ng: cài bằng lệnh «sudo apt-get install -y espeak-ng» rồi thử lại")

// Speaker speaks Vietnamese text with espeak-ng. The zero value uses
// "espeak-ng" from PATH, voice "vi", 140 words per minute.
type Speaker struct {
	Program        string // default "espeak-ng"
	Voice          string // default "vi"
	WordsPerMinute int    // default 140
}

// WAV speaks text (after Spoken) with the default Speaker.
func WAV(ctx context.Context, text string) ([]byte, error) {
	return Speaker{}.WAV(ctx, text)
}

// WAV speaks text after Spoken() and returns a 16-bit PCM RIFF/WAVE file
// with its size fields set to the real sizes.
func (sp Speaker) WAV(ctx context.Context, text string) ([]byte, error) {
	prog := sp.Program
	if prog == "" {
		prog = "espeak-ng"
	}
	path, err := exec.LookPath(prog)
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNoSpeech, err)
	}
	voice := sp.Voice
	if voice == "" {
		voice = "vi"
	}
	wpm := sp.WordsPerMinute
	if wpm <= 0 {
		wpm = 140
	}
	spoken := Spoken(text)
	if strings.TrimSpace(spoken) == "" {
		return nil, errors.New("không có nội dung để đọc")
	}
	// The text goes on stdin: a command line is visible to every user of
	// the machine, and announcements hold names.
	cmd := exec.CommandContext(ctx, path, "-v", voice, "-s", strconv.Itoa(wpm), "--stdin", "--stdout")
	cmd.Stdin = strings.NewReader(spoken)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("espeak-ng không đọc được văn bản: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	wav := out.Bytes()
	if _, err := ParseWAV(wav); err != nil {
		return nil, fmt.Errorf("espeak-ng trả về âm thanh hỏng: %w", err)
	}
	return fixSizes(wav), nil
}

// WAVInfo describes a PCM WAVE file.
type WAVInfo struct {
	SampleRate    int
	Channels      int
	BitsPerSample int
	DataBytes     int
	Duration      time.Duration
}

// ParseWAV reads the RIFF/WAVE header and the size of the sample data.
// A RIFF or data size that is a streaming placeholder (0xFFFFFFFF, or any
// size beyond the end of the input, as espeak-ng --stdout writes) means
// "to the end of the file".
func ParseWAV(b []byte) (WAVInfo, error) {
	var info WAVInfo
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return info, errors.New("không phải tệp WAV (thiếu RIFF/WAVE)")
	}
	var haveFmt bool
	off := 12
	for off+8 <= len(b) {
		id := string(b[off : off+4])
		size := int64(binary.LittleEndian.Uint32(b[off+4 : off+8]))
		body := off + 8
		end := int64(body) + size
		if end > int64(len(b)) {
			end = int64(len(b)) // streaming placeholder: to the end
		}
		switch id {
		case "fmt ":
			if end-int64(body) < 16 {
				return info, errors.New("tệp WAV hỏng: khối fmt quá ngắn")
			}
			f := b[body:end]
			format := binary.LittleEndian.Uint16(f[0:2])
			if format != 1 && format != 0xFFFE { // PCM, or WAVE_FORMAT_EXTENSIBLE
				return info, fmt.Errorf("tệp WAV không phải PCM (định dạng %d)", format)
			}
			info.Channels = int(binary.LittleEndian.Uint16(f[2:4]))
			info.SampleRate = int(binary.LittleEndian.Uint32(f[4:8]))
			info.BitsPerSample = int(binary.LittleEndian.Uint16(f[14:16]))
			if info.Channels == 0 || info.SampleRate == 0 || info.BitsPerSample == 0 || info.BitsPerSample%8 != 0 {
				return info, errors.New("tệp WAV hỏng: thông số mẫu không hợp lệ")
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return info, errors.New("tệp WAV hỏng: khối data đứng trước khối fmt")
			}
			info.DataBytes = int(end) - body
			frame := info.Channels * info.BitsPerSample / 8
			frames := info.DataBytes / frame
			info.Duration = time.Duration(frames) * time.Second / time.Duration(info.SampleRate)
			return info, nil
		}
		next := end
		if size%2 == 1 { // chunks are padded to even sizes
			next++
		}
		off = int(next)
	}
	if !haveFmt {
		return info, errors.New("tệp WAV hỏng: thiếu khối fmt")
	}
	return info, errors.New("tệp WAV hỏng: thiếu khối data")
}

// fixSizes replaces placeholder RIFF and data sizes with the real ones so
// that every player (and a browser's <audio>) knows the length. It assumes
// b passed ParseWAV.
func fixSizes(b []byte) []byte {
	binary.LittleEndian.PutUint32(b[4:8], uint32(len(b)-8))
	off := 12
	for off+8 <= len(b) {
		size := int(binary.LittleEndian.Uint32(b[off+4 : off+8]))
		if string(b[off:off+4]) == "data" {
			if off+8+size > len(b) || size < 0 {
				binary.LittleEndian.PutUint32(b[off+4:off+8], uint32(len(b)-off-8))
			}
			return b
		}
		off += 8 + size + size%2
	}
	return b
}
