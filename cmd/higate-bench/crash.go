package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// crashFigures is the outcome of the kill -9 cycles.
type crashFigures struct {
	cycles                                int
	sent, queued, refused, unanswered     int
	delivered, lost, duplicated, phantoms int
	unansweredDelivered                   int
	took                                  time.Duration
}

// neverGreeted is a recipient every cycle also sends to: the API must
// refuse those sends (472), and the inbox must stay empty.
const neverGreeted = "+4917099999999"

// crashStage starts the gateway, sends under load from 64 connections (four
// accounts, three priorities),
// kills the server with SIGKILL at a random moment, restarts it on the same
// data, and repeats; then it checks the simulated inboxes: every send
// answered "queued" arrived exactly once, none answered with an error
// arrived, and no message arrived twice.
func (b *bench) crashStage(ctx context.Context) error {
	cf := crashFigures{cycles: b.crashCycles}
	t0 := time.Now()
	dir := b.newDir("crash")
	// Enough users that no inbox passes the sim's bound of 1,000 messages,
	// which would hide deliveries from the check (20 cycles queue about
	// 120,000 sends).
	users := make([]string, 1000)
	for i := range users {
		users[i] = userNumber(90_000_000 + i)
	}
	// Four accounts with three priorities, so the queue holds several
	// accounts' jobs and the claims take turns between them.
	f, err := seed(dir, users, 4)
	if err != nil {
		return err
	}
	headers := make([][]string, len(f.accounts))
	for i, acct := range f.accounts {
		headers[i] = []string{"X-WM-CLIENT-ID", acct.ClientID, "X-WM-CLIENT-SECRET", acct.ClientSecret}
	}
	priorities := []string{"high", "normal", "low"}
	var mu sync.Mutex
	status := map[string]int{} // text -> HTTP status, 0 when unanswered
	for cycle := range b.crashCycles {
		if err := ctx.Err(); err != nil {
			return err
		}
		s, err := b.startServer(dir)
		if err != nil {
			return fmt.Errorf("cycle %d: %w", cycle, err)
		}
		var stop atomic.Bool
		var next atomic.Int64
		var wg sync.WaitGroup
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := newConn(s.addr)
				defer c.close()
				for !stop.Load() {
					i := next.Add(1)
					to := users[int(i)%len(users)]
					if i%17 == 0 {
						to = neverGreeted
					}
					text := fmt.Sprintf("api: c%d-%d", cycle, i)
					req := request{method: "POST", path: "/v3/whatsapp/single/text/message/0", headers: headers[int(i)%len(headers)],
						body: fmt.Appendf(nil, `{"number":"%s","message":"%s","priority":"%s"}`, to, text, priorities[int(i/4)%3])}
					code, _, err := c.do(req.append(nil))
					if err != nil {
						code = 0
					}
					mu.Lock()
					status[text] = code
					mu.Unlock()
				}
			}()
		}
		time.Sleep(50*time.Millisecond + rand.N(time.Second))
		s.kill()
		stop.Store(true)
		wg.Wait()
	}
	s, err := b.startServer(dir)
	if err != nil {
		return err
	}
	defer s.stop()
	if err := s.waitDrained(2 * time.Minute); err != nil {
		return err
	}
	count := map[string]int{}
	ids := map[string]int{}
	for _, u := range append(users, neverGreeted) {
		msgs, err := s.messages(u)
		if err != nil {
			return err
		}
		if len(msgs) >= 1000 {
			return fmt.Errorf("the inbox of %s is full (the sim keeps 1,000 messages): use more users", u)
		}
		for _, m := range msgs {
			if strings.HasPrefix(m.Text, "api: c") {
				count[m.Text]++
				ids[m.ID]++
			}
		}
	}
	var examples []string
	for text, code := range status {
		n := count[text]
		cf.sent++
		switch {
		case code == 200:
			cf.queued++
			if n == 0 {
				cf.lost++
				examples = append(examples, "lost "+text)
			}
		case code == 0:
			cf.unanswered++
			if n > 0 {
				cf.unansweredDelivered++
			}
		default:
			cf.refused++
			if n > 0 {
				cf.phantoms++
				examples = append(examples, fmt.Sprintf("refused (%d) but delivered %s", code, text))
			}
		}
		if n > 1 {
			cf.duplicated++
			examples = append(examples, fmt.Sprintf("delivered %d times %s", n, text))
		}
	}
	for id, n := range ids {
		if n > 1 && len(examples) < 10 {
			examples = append(examples, fmt.Sprintf("message ID %s delivered %d times", id, n))
		}
	}
	for text := range count {
		cf.delivered++
		if _, ok := status[text]; !ok {
			cf.phantoms++
			examples = append(examples, "never sent but delivered "+text)
		}
	}
	cf.took = time.Since(t0)
	b.logf("  %d cycles: %d sends, %d queued, %d refused, %d unanswered (%d of those delivered); %d delivered, %d lost, %d duplicated, %d phantom",
		cf.cycles, cf.sent, cf.queued, cf.refused, cf.unanswered, cf.unansweredDelivered, cf.delivered, cf.lost, cf.duplicated, cf.phantoms)
	b.rep.crash(cf)
	if len(examples) > 0 {
		return fmt.Errorf("crash check failed: %s", strings.Join(examples[:min(len(examples), 10)], "; "))
	}
	if cf.queued == 0 || cf.refused == 0 {
		return fmt.Errorf("the cycles did not exercise both paths: %d queued, %d refused", cf.queued, cf.refused)
	}
	return nil
}
