package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"higate/registry"
	"higate/web/ui/console"
)

// consoleAdmin is the admin API's logic for the operator console. Each
// method runs the admin route's own handler in process, as if the operator
// had sent it the request: a console form validates, answers and fails
// exactly as the API does, and follows it when it changes, with no second
// copy of the rules to drift apart.
type consoleAdmin struct{ s *server }

var _ console.Admin = consoleAdmin{}

// call runs admin handler h with body (JSON-encoded) and the route's URL
// variables, and decodes its answer into out (if not nil). The handler's
// error comes back as it is: a *registry.Error for what the user may see.
func (a consoleAdmin) call(ctx context.Context, h handler, vars map[string]string, body, out any) error {
	var rd io.Reader = http.NoBody
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/admin/api/console", rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req = mux.SetURLVars(req, vars)
	w := &recordedResponse{header: http.Header{}}
	if err := h(w, req); err != nil {
		return err
	}
	if w.status >= 400 {
		return fmt.Errorf("admin handler answered %d: %s", w.status, w.body.String())
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(w.body.Bytes(), out)
}

// recordedResponse is the http.ResponseWriter call gives an admin handler.
type recordedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *recordedResponse) Header() http.Header { return w.header }
func (w *recordedResponse) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}
func (w *recordedResponse) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

func (a consoleAdmin) CreateAccount(ctx context.Context, na console.NewAccount) (registry.Credentials, error) {
	var creds registry.Credentials
	body := map[string]any{"email": na.Email, "plan": na.Plan}
	if na.Instance != nil {
		body["instance"] = *na.Instance
	}
	err := a.call(ctx, a.s.handleCreateAccount, nil, body, &creds)
	return creds, err
}

func (a consoleAdmin) Extend(ctx context.Context, clientID string, days int) error {
	return a.call(ctx, a.s.handleExtendAccount, map[string]string{"client_id": clientID}, map[string]int{"days": days}, nil)
}

func (a consoleAdmin) Suspend(ctx context.Context, clientID string) error {
	return a.call(ctx, a.s.handleAccountStatus(registry.StatusSuspended), map[string]string{"client_id": clientID}, nil, nil)
}

func (a consoleAdmin) Resume(ctx context.Context, clientID string) error {
	return a.call(ctx, a.s.handleAccountStatus(registry.StatusActive), map[string]string{"client_id": clientID}, nil, nil)
}

func (a consoleAdmin) ChangePlan(ctx context.Context, clientID, plan string) error {
	return a.call(ctx, a.s.handleAccountPlan, map[string]string{"client_id": clientID}, map[string]string{"plan": plan}, nil)
}

func (a consoleAdmin) CreateInstance(ctx context.Context, name string) (uint64, error) {
	var out struct {
		ID uint64 `json:"id"`
	}
	err := a.call(ctx, a.s.handleCreateInstance, nil, map[string]string{"name": name}, &out)
	return out.ID, err
}

func (a consoleAdmin) AddNumber(ctx context.Context, instance uint64, n console.NewNumber) error {
	return a.call(ctx, a.s.handleAddNumber, map[string]string{"id": strconv.FormatUint(instance, 10)},
		map[string]string{"number": n.Number, "transport": n.Transport, "role": n.Role}, nil)
}

func (a consoleAdmin) RemoveNumber(ctx context.Context, number string) error {
	return a.call(ctx, a.s.handleRemoveNumber, map[string]string{"number": number}, nil, nil)
}

func (a consoleAdmin) Rotate(ctx context.Context, instance uint64, to string) error {
	return a.call(ctx, a.s.handleRotate, map[string]string{"id": strconv.FormatUint(instance, 10)}, map[string]string{"to": to}, nil)
}

func (a consoleAdmin) SetPacing(ctx context.Context, number string, p console.Pacing) error {
	return a.call(ctx, a.s.handlePacing, map[string]string{"number": number}, p, nil)
}

func (a consoleAdmin) PairAgain(ctx context.Context, number string) error {
	return a.call(ctx, a.s.handleRepair, map[string]string{"number": number}, nil, nil)
}

func (a consoleAdmin) PairCode(ctx context.Context, number string) (string, error) {
	var out struct {
		PairCode string `json:"pair_code"`
	}
	err := a.call(ctx, a.s.handlePairCode, map[string]string{"number": number}, nil, &out)
	return out.PairCode, err
}
