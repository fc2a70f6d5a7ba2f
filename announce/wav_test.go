package announce_test

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/announce"
	"github.com/kyso-vn/kyso/internal/testenv"
)

// Must show (issue 14): the announcement spoken by the real espeak-ng is a
// valid 16-bit PCM WAV whose length fits the number of words.
func TestWAV_RealEspeak(t *testing.T) {
	testenv.Need(t, "espeak-ng", "espeak-ng")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	text := announce.Text(dongLao(), households())
	wav, err := announce.WAV(ctx, text)
	require.NoError(t, err)

	info, err := announce.ParseWAV(wav)
	require.NoError(t, err)
	assert.Equal(t, 16, info.BitsPerSample)
	assert.Equal(t, 1, info.Channels)
	assert.Greater(t, info.SampleRate, 8000)

	words := len(strings.Fields(announce.Spoken(text)))
	expected := time.Duration(float64(words) / 2.5 * float64(time.Second))
	t.Logf("%d words, %d bytes, %d Hz, %v (expected %v at 2.5 words/s)", words, len(wav), info.SampleRate, info.Duration, expected)
	assert.GreaterOrEqual(t, info.Duration, expected/2)
	assert.LessOrEqual(t, info.Duration, expected*2)

	// The placeholders espeak-ng writes on a pipe are replaced by real sizes.
	assert.Equal(t, uint32(len(wav)-8), binary.LittleEndian.Uint32(wav[4:8]), "RIFF size")
	assert.Equal(t, uint32(info.DataBytes), binary.LittleEndian.Uint32(wav[40:44]), "data size")
	assert.Equal(t, len(wav)-44, info.DataBytes)
}

func TestWAV_MissingEspeak(t *testing.T) {
	_, err := announce.Speaker{Program: "/nonexistent/espeak-ng"}.WAV(context.Background(), "Thông báo")
	require.Error(t, err)
	assert.True(t, errors.Is(err, announce.ErrNoSpeech))
	assert.Contains(t, err.Error(), "Máy chưa cài espeak-ng")
	assert.Contains(t, err.Error(), "apt-get install -y espeak-ng")
}

func TestWAV_EmptyText(t *testing.T) {
	testenv.Need(t, "espeak-ng", "espeak-ng")
	_, err := announce.WAV(context.Background(), " \n ")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "không có nội dung")
}

// wavBytes builds a WAVE file: fmt (PCM), optional extra chunk, data.
func wavBytes(format, channels uint16, rate uint32, bits uint16, riffSize, dataSize uint32, extra []byte, samples int) []byte {
	le := binary.LittleEndian
	b := []byte("RIFF")
	b = le.AppendUint32(b, riffSize)
	b = append(b, "WAVEfmt "...)
	b = le.AppendUint32(b, 16)
	b = le.AppendUint16(b, format)
	b = le.AppendUint16(b, channels)
	b = le.AppendUint32(b, rate)
	block := channels * bits / 8
	b = le.AppendUint32(b, rate*uint32(block))
	b = le.AppendUint16(b, block)
	b = le.AppendUint16(b, bits)
	if extra != nil {
		b = append(b, "LIST"...)
		b = le.AppendUint32(b, uint32(len(extra)))
		b = append(b, extra...)
		if len(extra)%2 == 1 {
			b = append(b, 0)
		}
	}
	b = append(b, "data"...)
	b = le.AppendUint32(b, dataSize)
	return append(b, make([]byte, samples*int(block))...)
}

func TestParseWAV(t *testing.T) {
	const rate = 22050
	cases := []struct {
		name    string
		in      []byte
		want    announce.WAVInfo
		wantErr string
	}{
		{"exact sizes", wavBytes(1, 1, rate, 16, 36+rate*2, rate*2, nil, rate),
			announce.WAVInfo{SampleRate: rate, Channels: 1, BitsPerSample: 16, DataBytes: rate * 2, Duration: time.Second}, ""},
		{"espeak placeholder 0x7FFFF000", wavBytes(1, 1, rate, 16, 0x7FFFF024, 0x7FFFF000, nil, rate/2),
			announce.WAVInfo{SampleRate: rate, Channels: 1, BitsPerSample: 16, DataBytes: rate, Duration: 500 * time.Millisecond}, ""},
		{"streaming 0xFFFFFFFF", wavBytes(1, 2, 16000, 16, 0xFFFFFFFF, 0xFFFFFFFF, nil, 8000),
			announce.WAVInfo{SampleRate: 16000, Channels: 2, BitsPerSample: 16, DataBytes: 32000, Duration: 500 * time.Millisecond}, ""},
		{"odd chunk padded before data", wavBytes(1, 1, 8000, 8, 0, 8000, []byte("INFOx"), 8000),
			announce.WAVInfo{SampleRate: 8000, Channels: 1, BitsPerSample: 8, DataBytes: 8000, Duration: time.Second}, ""},
		{"extensible format", wavBytes(0xFFFE, 1, rate, 16, 0, 4, nil, 2),
			announce.WAVInfo{SampleRate: rate, Channels: 1, BitsPerSample: 16, DataBytes: 4, Duration: 2 * time.Second / rate}, ""},
		{"not RIFF", []byte("ID3\x04 an mp3 file, not a wave"), announce.WAVInfo{}, "không phải tệp WAV"},
		{"float samples", wavBytes(3, 1, rate, 32, 0, 8, nil, 2), announce.WAVInfo{}, "không phải PCM"},
		{"zero channels", wavBytes(1, 0, rate, 16, 0, 0, nil, 0), announce.WAVInfo{}, "thông số mẫu"},
		{"no data chunk", wavBytes(1, 1, rate, 16, 0, 0, nil, 0)[:36], announce.WAVInfo{}, "thiếu khối data"},
		{"data before fmt", []byte("RIFF\x00\x00\x00\x00WAVEdata\x02\x00\x00\x00\x00\x00"), announce.WAVInfo{}, "đứng trước khối fmt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := announce.ParseWAV(c.in)
			if c.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), c.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}
