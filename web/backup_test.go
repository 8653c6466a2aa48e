package web_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"higate/gateway/backup"
	"higate/registry"
)

// TestBackupUnderLoadRestores takes a backup through the admin API while
// four clients keep sending, restores it into a new data directory, starts
// a gateway on it, and finds every account and every job whose accept was
// answered before the backup was asked for.
func TestBackupUnderLoadRestores(t *testing.T) {
	e := newEnv(t)
	const clients = 4
	accts := make([]account, clients)
	users := make([]string, clients)
	for i := range accts {
		accts[i] = e.newAccount(map[string]any{"email": fmt.Sprintf("dev%d@example.com", i), "plan": "trial",
			"limits": map[string]int{"daily": 100000, "recipients": 10}})
		users[i] = fmt.Sprintf("+1202555%04d", 100+i)
		e.register(users[i], sandboxGW)
	}
	// The number is disconnected, so every job stays queued (sends are still
	// accepted) and the queued image's media goes into the archive too.
	if r := e.admin("POST", "/sandbox/api/numbers/%2B15550000001/fault", map[string]any{"kind": "disconnect"}); r.status != 200 {
		t.Fatalf("disconnect: %d %s", r.status, r.raw)
	}
	if r := e.send(accts[0], "/v3/whatsapp/single/image/message/0", map[string]string{"number": users[0], "image": base64.StdEncoding.EncodeToString(pngBytes)}); r.status != 200 {
		t.Fatalf("image: %d %s", r.status, r.raw)
	}

	type accepted struct {
		id   string
		done time.Time
	}
	var (
		mu   sync.Mutex
		jobs []accepted
		stop = make(chan struct{})
		wg   sync.WaitGroup
	)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				r := e.send(accts[i], "/v3/whatsapp/single/text/message/0", map[string]string{"number": users[i], "message": fmt.Sprintf("api: %d", n)})
				if r.status != 200 {
					t.Errorf("send: %d %s", r.status, r.raw)
					return
				}
				mu.Lock()
				jobs = append(jobs, accepted{r.str("id"), time.Now()})
				mu.Unlock()
			}
		}()
	}
	// Let the load run, then take the backup in the middle of it.
	e.eventually("some load", func() bool { mu.Lock(); defer mu.Unlock(); return len(jobs) >= 200 })
	asked := time.Now()
	req, _ := http.NewRequest("GET", e.srv.URL+"/admin/api/backup", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	archive, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/gzip" || err != nil {
		t.Fatalf("backup: %d %v %.200s", resp.StatusCode, err, archive)
	}
	e.eventually("load after the backup", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return jobs[len(jobs)-1].done.After(asked.Add(50 * time.Millisecond))
	})
	close(stop)
	wg.Wait()

	var before []string
	for _, j := range jobs {
		if j.done.Before(asked) {
			before = append(before, j.id)
		}
	}
	if len(before) < 200 || len(before) == len(jobs) {
		t.Fatalf("%d of %d jobs before the backup: the backup did not fall inside the load", len(before), len(jobs))
	}

	dir := t.TempDir() + "/restored"
	m, report, err := backup.Restore(bytes.NewReader(archive), dir, backup.RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Media < 1 || report.Records == 0 {
		t.Errorf("manifest %+v, check %+v: want the queued image's media and records", m, report)
	}
	restored := newEnv(t, func(r *env) { r.dir = dir })
	for _, a := range accts {
		if r := restored.do("GET", "/v3/whatsapp/jobs/"+before[0], nil, a.headers()...); r.status == 474 {
			t.Fatalf("account %s does not authenticate after the restore: %s", a.id, r.raw)
		}
	}
	missing := 0
	for _, id := range before {
		jid, _ := registry.ParseJobID(id)
		if _, err := restored.store.Job(jid); err != nil {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d jobs accepted before the backup are missing after the restore", missing, len(before))
	}
	// And it serves them: every one of the first account's jobs answers.
	for _, j := range jobs {
		if !j.done.Before(asked) {
			continue
		}
		jid, _ := registry.ParseJobID(j.id)
		job, _ := restored.store.Job(jid)
		for _, a := range accts {
			if a.id == job.Account {
				if r := restored.do("GET", "/v3/whatsapp/jobs/"+j.id, nil, a.headers()...); r.status != 200 {
					t.Fatalf("job %s after the restore: %d %s", j.id, r.status, r.raw)
				}
			}
		}
	}
	t.Logf("backup of %d bytes during load: %d jobs accepted before it, %d after; all restored", len(archive), len(before), len(jobs)-len(before))
}
