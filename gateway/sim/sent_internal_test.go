package sim

// An internal test: the window is 100,000 IDs, and filling it through Send
// takes many seconds under the race detector, while sentIDs alone takes
// milliseconds. The journaling of the IDs is tested from outside, in
// TestCompaction and TestSendDuplicateDropped.

import (
	"fmt"
	"slices"
	"testing"
)

func TestSentIDsWindow(t *testing.T) {
	var s sentIDs
	for i := range sentWindow + 1 {
		if !s.reserve(fmt.Sprint("W", i)) {
			t.Fatalf("W%d reserved twice", i)
		}
	}
	if !s.reserve("W0") {
		t.Error("the oldest ID is still remembered past the window")
	}
	if s.reserve("W2") {
		t.Error("an ID inside the window was forgotten")
	}
	// A released claim can be made again, and only it is forgotten.
	s.release("W5")
	if !s.reserve("W5") {
		t.Error("a released ID could not be reserved again")
	}
	list := s.list()
	if len(list) != sentWindow || list[0] != "W2" || list[len(list)-1] != "W5" || slices.Contains(list[:len(list)-1], "W5") {
		t.Errorf("remembered %d IDs, %q ... %q", len(list), list[0], list[len(list)-1])
	}
}
