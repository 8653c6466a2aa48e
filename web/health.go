package web

import (
	"fmt"
	"net/http"
	"time"

	"higate/gateway/backup"
)

// handleHealthz says the process is alive and serving HTTP. It checks
// nothing else, so a liveness probe never restarts a gateway that is only
// waiting for WhatsApp.
func (s *server) handleHealthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// handleReadyz says whether the gateway can do its work: the registry
// answers, the dispatchers run, and at least one instance has a connected
// active number. Otherwise it answers 503 with what is missing, so a load
// balancer (or a person) sees why.
func (s *server) handleReadyz(w http.ResponseWriter, r *http.Request) error {
	var problems []string
	instances, err := s.Store.Instances()
	if err != nil {
		s.log.Error("readyz: registry", "err", err)
		problems = append(problems, "the registry does not answer")
	}
	if !s.Gateway.Running() {
		problems = append(problems, "the dispatcher is not running")
	}
	up := 0
	for _, in := range instances {
		if s.Gateway.InstanceUp(in.ID) {
			up++
		}
	}
	if err == nil && up == 0 {
		problems = append(problems, "no instance has a connected active number (pair one: README, Admin API)")
	}
	status, code := "ready", http.StatusOK
	if len(problems) > 0 {
		status, code = "not ready", http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]any{"status": status, "instances": len(instances), "instances_up": up, "problems": nonNil(problems)})
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// handleBackup streams a consistent backup of the data directory (see
// package backup) while the gateway keeps serving. The archive is built as
// it is sent; an error after the first byte can only cut the stream short,
// which the restore's checks then refuse.
func (s *server) handleBackup(w http.ResponseWriter, r *http.Request) error {
	if s.DataDir == "" {
		return fmt.Errorf("backup: the server was started without a data directory")
	}
	name := "higate-backup-" + s.Store.Now().UTC().Format("20060102T150405Z") + ".tar.gz"
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	// A large registry takes longer to send than the server's write timeout.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	m, err := backup.Write(r.Context(), w, s.Store, s.DataDir, s.Version)
	if err != nil {
		s.log.Error("backup failed", "err", err)
		return nil // the status line is gone; the cut archive fails its restore
	}
	s.log.Info("backup sent", "registry_bytes", m.Registry, "device_stores", len(m.Devices), "media", m.Media, "inbound_media", m.InboundMedia)
	return nil
}
