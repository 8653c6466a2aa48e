package lang

import (
	"iter"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file splits inbound text into words and finds the cheapest way to
// read it as entries of the word tables; see Classify for the rule.

// input is inbound text split for parsing: its words, and the positions
// where an entry of the tables may start. It lives on the stack of one
// Classify call.
type input struct {
	text string // the words joined by single spaces
	nw   int    // number of words
	// words holds each word's byte range in text and the index of its
	// first position; a word written without spaces (run) has a position
	// at every character, others only at their start. words[nw].first is
	// the end position.
	words [maxWords + 1]struct {
		start, end, first uint16
		run               bool
	}
	np    int                           // number of positions
	pos   [maxPositions]uint16          // byte offset of each position in text
	wi    [maxPositions]uint8           // the word of each position
	ri    [maxPositions]uint8           // the character of each position in its word
	runes [maxPositions]uint8           // characters in the position's word if run
	best  [maxPositions + 1][2][2]state // see parse
}

// state is the cheapest way found to parse the text from a position on: its
// cost in words, and its first entry (by id) and the position after it.
type state struct {
	cost, next uint8
	id         uint16
}

// maxPositions bounds a message's positions: one per word, plus one per
// character of the words written without spaces.
const maxPositions = maxWords + maxRunes

// maxPhraseWords bounds the words of one table entry; the tables are
// checked against it at start-up.
const maxPhraseWords = 5

// unparsable is a cost above any accepted message.
const unparsable = maxWords + 1

// split fills m from k, a matchKey result, and reports false when k has more
// words or more text without spaces than a greeting or opt-out ever has.
func (m *input) split(k string) bool {
	if len(k) > 1<<15 {
		return false // keeps offsets in uint16; no greeting is near this
	}
	canonical := true
	inWord := false
	for i := 0; i < len(k); {
		sep, n := k[i] < utf8.RuneSelf && isASCIIJunk(k[i]), 1
		if k[i] >= utf8.RuneSelf {
			var r rune
			r, n = utf8.DecodeRuneInString(k[i:])
			sep = isSeparator(r)
		}
		switch {
		case sep && inWord:
			m.words[m.nw-1].end = uint16(i)
			inWord = false
		case !sep && !inWord:
			if m.nw == maxWords {
				return false
			}
			// The words are joined by single spaces unless k separates
			// them otherwise ("hi, there"); then they are copied below.
			if m.nw == 0 && i != 0 ||
				m.nw > 0 && (i != int(m.words[m.nw-1].end)+1 || k[i-1] != ' ') {
				canonical = false
			}
			m.words[m.nw].start = uint16(i)
			m.nw++
			inWord = true
		}
		i += n
	}
	if inWord {
		m.words[m.nw-1].end = uint16(len(k))
	}
	if m.nw == 0 {
		return false
	}
	m.text = k
	if !canonical || int(m.words[m.nw-1].end) != len(k) {
		var b strings.Builder
		b.Grow(len(k))
		for i := range m.nw {
			w := &m.words[i]
			if i > 0 {
				b.WriteByte(' ')
			}
			at := b.Len()
			b.WriteString(k[w.start:w.end])
			w.start, w.end = uint16(at), uint16(b.Len())
		}
		m.text = b.String()
	}
	runes := 0
	for i := range m.nw {
		w := &m.words[i]
		w.first = uint16(m.np)
		s := m.text[w.start:w.end]
		w.run = isRun(s)
		if !w.run {
			m.pos[m.np], m.wi[m.np], m.ri[m.np], m.runes[m.np] = w.start, uint8(i), 0, 0
			m.np++
			continue
		}
		n := utf8.RuneCountInString(s)
		if runes += n; runes > maxRunes {
			return false
		}
		r := 0
		for off := range s {
			m.pos[m.np], m.wi[m.np], m.ri[m.np], m.runes[m.np] = w.start+uint16(off), uint8(i), uint8(r), uint8(n)
			m.np++
			r++
		}
	}
	m.words[m.nw].first = uint16(m.np)
	return true
}

// isRun reports whether s is written without spaces between words: two or
// more Han or kana characters (and the long vowel mark ー).
func isRun(s string) bool {
	if s == "" || s[0] < 0xe2 { // Han, kana and ー all start at U+2E80
		return false
	}
	n := 0
	for _, r := range s {
		if !unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) && r != 'ー' {
			return false
		}
		n++
	}
	return n >= 2
}

// isSeparator reports whether r separates words: junk, and the marks that
// only ever follow emoji (variation selectors and the keycap).
func isSeparator(r rune) bool {
	return isJunk(r) || r == '\u20e3' || '\ufe00' <= r && r <= '\ufe0f' ||
		'\U000e0100' <= r && r <= '\U000e01ef'
}

// step is one table entry found at a position: the position after it, the
// entry, and the words it counts for.
type step struct {
	next  int
	w     *word
	words int
}

// steps yields every table entry that starts at position p: from the start
// of a word, the word and the longer phrases that start with it (up to the
// longest entry that does); inside a word written without spaces, every
// piece of it that starts at p.
func (m *input) steps(p int) iter.Seq[step] {
	return func(yield func(step) bool) {
		i := int(m.wi[p])
		if m.ri[p] == 0 {
			if w := lookup(m.text[m.pos[p]:m.words[i].end]); w != nil {
				// The loop over pieces below covers a run's whole word.
				if !m.words[i].run && !yield(step{int(m.words[i+1].first), w, 1}) {
					return
				}
				for n := 2; n <= int(w.longest) && i+n <= m.nw; n++ {
					if w := lookup(m.text[m.pos[p]:m.words[i+n-1].end]); w != nil {
						if !yield(step{int(m.words[i+n].first), w, n}) {
							return
						}
					}
				}
			}
		}
		if !m.words[i].run {
			return
		}
		first, n := int(m.words[i].first), int(m.runes[p])
		for r := int(m.ri[p]) + 1; r <= n; r++ {
			next, end := first+r, int(m.words[i].end)
			if r == n {
				next = int(m.words[i+1].first)
			} else {
				end = int(m.pos[next])
			}
			if w := lookup(m.text[m.pos[p]:end]); w != nil {
				if !yield(step{next, w, 1}) {
					return
				}
			}
		}
	}
}

// parse tells whether the message is an opt-out, a greeting or neither. For
// each intent it finds the way of cutting the message into that intent's
// words and fillers, at least one of them an intent word, that counts the
// fewest words; the message is that intent when the count is within
// maxWords. It returns the intent and the entries of its cut in order, in
// buf. The search is a shortest path over the positions, which stays
// polynomial however many ways a text without spaces can be cut
// ("安安安安…"), and looks up each position's entries once for both intents.
//
// An opt-out wins should some text read both ways (none in today's tables
// does): taking it as an opt-out errs on the side the law asks for.
func (m *input) parse(buf *[maxWords]*word) (Intent, []*word) {
	intents := [...]Intent{OptOut, Greeting}
	// best[p][x][need] is the cheapest parse of the text from position p
	// to the end as intents[x], need telling whether an intent word is
	// still missing there.
	done, none := state{cost: 0}, state{cost: unparsable}
	m.best[m.np] = [2][2]state{{done, none}, {done, none}}
	for p := m.np - 1; p >= 0; p-- {
		here := [2][2]state{{none, none}, {none, none}}
		for s := range m.steps(p) {
			for x, intent := range intents {
				ok, carries := s.w.fits(intent)
				if !ok {
					continue
				}
				for need := range 2 {
					after := need
					if carries {
						after = 0
					}
					c := min(int(m.best[s.next][x][after].cost)+s.words, unparsable)
					if c < int(here[x][need].cost) {
						here[x][need] = state{uint8(c), uint8(s.next), s.w.id}
					}
				}
			}
		}
		m.best[p] = here
	}
	x := 0
	for x < len(intents) && m.best[0][x][1].cost > maxWords {
		x++
	}
	if x == len(intents) {
		return None, nil
	}
	// Walk the cheapest parse to collect its entries.
	phrases := buf[:0]
	for p, need := 0, 1; p != m.np && len(phrases) < len(buf); {
		st := m.best[p][x][need]
		w := entries[st.id]
		phrases = append(phrases, w)
		if w.intent != None {
			need = 0
		}
		p = int(st.next)
	}
	return intents[x], phrases
}
