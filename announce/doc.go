// Package announce writes the loudspeaker announcement for an evening session
// ("Thông báo: tối thứ Tư, ngày 20 tháng 11, lúc 19 giờ, …") and speaks it
// offline in Vietnamese with espeak-ng.
//
// Village heads read a list of households on the loudspeaker; this package
// gives them the text (Text), a version normalised for a speech synthesiser
// (Spoken: numbers, times, dates and abbreviations written out as words) and
// the audio itself (WAV). It has no HTTP and no storage; the ward serves it.
//
// Invariants:
//   - Text never writes a time as "19h" or "19:00": always "19 giờ" or
//     "19 giờ 30"; the weekday and the part of the day are in words; the date
//     is "ngày 20 tháng 11". Session.Date is a civil date: its year, month and
//     day are used as they are, its location is ignored.
//   - Text puts one household per line, separated by commas, so the reader and
//     the synthesiser both pause between households; the key facts (when,
//     where, what to bring) are repeated at the end ("Xin nhắc lại: …").
//   - Spoken leaves no ASCII digit that belongs to a number, time or date;
//     numbers follow the spoken rules (21 "hai mươi mốt", 15 "mười lăm",
//     24 "hai mươi tư", 105 "một trăm linh năm", 2026 "hai nghìn không trăm
//     hai mươi sáu"); a digit string with a leading zero or longer than nine
//     digits (phone, CCCD) is read digit by digit.
//   - WAV passes the text to espeak-ng on standard input, never on the command
//     line (names would show in the process list). When espeak-ng is missing
//     the error wraps ErrNoSpeech, whose message says how to install it.
//   - WAV returns a RIFF/WAVE file whose size fields are the real sizes:
//     espeak-ng's --stdout writes placeholders (0x7FFFF000 or 0xFFFFFFFF)
//     because it cannot seek; ParseWAV accepts both forms.
//   - All texts are NFC; nothing here keeps state, so everything is safe for
//     concurrent use.
package announce
