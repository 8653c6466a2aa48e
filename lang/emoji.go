package lang

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// emoticons maps each shortcut to its emoji. The letter shortcuts accept
// either case because people type "(Y)" as often as "(y)".
var emoticons = map[string]string{
	"(y)": "👍", "(Y)": "👍",
	"(n)": "👎", "(N)": "👎",
	":-)": "🙂",
	":-(": "🙁",
	":-p": "😛", ":-P": "😛",
	":-|": "😐",
	"<3":  "❤️",
	"^_^": "😊",
}

// emoticonStarts holds the first byte of every shortcut, for a quick
// rejection of text that cannot contain one.
const emoticonStarts = "(:<^"

// sentenceEnd is the punctuation that may follow a shortcut in the same
// token: "Good job (y)." and "Thanks :-)!" convert, the full stop stays.
const sentenceEnd = ".,!?;:"

// Emojify replaces the emoticon shortcuts (y) (n) :-) :-( :-p :-| <3 ^_^
// with 👍 👎 🙂 🙁 😛 😐 ❤️ 😊 where they stand as their own token: between
// whitespace or the ends of the text, optionally followed by sentence
// punctuation (.,!?;:). A shortcut inside a word, a URL ("http://x.io/a:-)b")
// or a code span (`...` or a ``` fence, as WhatsApp formats them) is left
// alone, because there it is not an emoticon. An unclosed ``` fence runs to
// the end of the text; an unpaired single backtick is just a character.
func Emojify(text string) string {
	if !strings.ContainsAny(text, emoticonStarts) {
		return text
	}
	var b strings.Builder
	last := 0 // text[:last] has been written to b
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if unicode.IsSpace(r) {
			i += n
			continue
		}
		start, code := i, false
		i, code = tokenEnd(text, i)
		if code {
			continue
		}
		core := strings.TrimRight(text[start:i], sentenceEnd)
		emoji, ok := emoticons[core]
		if !ok {
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(text) + 8)
		}
		b.WriteString(text[last:start])
		b.WriteString(emoji)
		last = start + len(core)
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// tokenEnd returns the end of the whitespace-delimited token starting at i
// and whether it holds a code span. A code span may contain whitespace; the
// token then runs on to the first whitespace after the span closes.
func tokenEnd(text string, i int) (end int, code bool) {
	for i < len(text) {
		if text[i] == '`' {
			if j, ok := codeSpanEnd(text, i); ok {
				i, code = j, true
				continue
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(text[i:])
		if unicode.IsSpace(r) {
			break
		}
		i += n
	}
	return i, code
}

// codeSpanEnd returns the end of the code span opening at text[i] == '`',
// or false when the backtick opens none.
func codeSpanEnd(text string, i int) (int, bool) {
	if strings.HasPrefix(text[i:], "```") {
		if j := strings.Index(text[i+3:], "```"); j >= 0 {
			return i + 3 + j + 3, true
		}
		return len(text), true
	}
	if j := strings.IndexByte(text[i+1:], '`'); j >= 0 {
		return i + 1 + j + 1, true
	}
	return 0, false
}
