package lang

// This file gives the external tests read access to the data tables, so
// that README.md's lists can be checked against them and the fuzz targets
// can state what Emojify may change. It is compiled only into tests.

// Entry is a spelling of the word tables and its languages as written
// there ("de nl id", or "*" for any).
type Entry struct{ Text, Langs string }

// Table is one of the word tables, by the name its variable has.
func Table(name string) []Entry {
	tables := map[string][]struct{ text, langs string }{
		"greetings":       greetings,
		"optOuts":         optOuts,
		"greetingFillers": greetingFillers,
		"optOutFillers":   optOutFillers,
	}
	t, ok := tables[name]
	if !ok {
		panic("no table " + name)
	}
	out := make([]Entry, len(t))
	for i, e := range t {
		out[i] = Entry{e.text, e.langs}
	}
	return out
}

// Emoticon is one line of emoticonList.
type Emoticon struct{ Shortcuts, Emoji string }

// Emoticons returns emoticonList.
func Emoticons() []Emoticon {
	out := make([]Emoticon, len(emoticonList))
	for i, e := range emoticonList {
		out[i] = Emoticon{e.shortcuts, e.emoji}
	}
	return out
}

// Closers is the punctuation that may follow a shortcut in its token.
const Closers = closers
