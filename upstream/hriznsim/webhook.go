package hriznsim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/feedgate/feedgate/inventory"
)

// EventDescriptionCompleted is the type of the event sent when a description is ready.
const EventDescriptionCompleted = "inventory.description.completed"

// SignatureHeader carries a webhook body's signature: "sha256=" and the hex HMAC-SHA256 of the
// body keyed with the webhook secret.
const SignatureHeader = "X-Feedgate-Signature"

// webhookTimeout bounds one delivery: webhooks are best effort.
const webhookTimeout = 2 * time.Second

// event is a webhook's body.
type event struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	Data      eventData `json:"data"`
}

type eventData struct {
	VIN    string `json:"vin"`
	Status string `json:"status"`
}

func newEvent(vin string, at time.Time) event {
	return event{
		ID:        "evt_" + strings.ToLower(rand.Text()),
		Type:      EventDescriptionCompleted,
		CreatedAt: at.UTC().Truncate(time.Second),
		Data:      eventData{VIN: vin, Status: inventory.DescriptionCompleted},
	}
}

// Sign is the value of SignatureHeader for body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// sendLocked delivers events in the background, in order, one at a time.
func (s *Server) sendLocked(events []event) {
	if len(events) == 0 || s.webhookURL == "" || s.closed {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for _, ev := range events {
			if err := s.deliver(ev); err != nil {
				s.log.Warn("hriznsim: webhook delivery failed", "event", ev.ID, "vin", ev.Data.VIN, "err", err)
			}
		}
	}()
}

func (s *Server) deliver(ev event) error {
	body, err := inventory.MarshalJSON(ev)
	if err != nil {
		return fmt.Errorf("hriznsim: encode event: %w", err)
	}
	ctx, cancel := context.WithTimeout(s.ctx, webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.webhookURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("hriznsim: webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if s.webhookSecret != "" {
		req.Header.Set(SignatureHeader, Sign(s.webhookSecret, body))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("hriznsim: webhook post: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("hriznsim: webhook answered %s", resp.Status)
	}
	return nil
}
