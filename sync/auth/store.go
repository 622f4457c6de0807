package auth

import (
	"errors"
	"fmt"
	"sync"

	"github.com/zalando/go-keyring"
)

// KeyringService is the service name FleetDesk's secrets are filed under in the OS keyring.
const KeyringService = "FleetDesk"

// ErrNotFound means no secret is stored for the account.
var ErrNotFound = errors.New("no saved sign-in")

// Store keeps one secret per account. It is the seam between the session logic and the OS
// keyring, so the error paths can be tested with keyring.MockInit without a Secret Service.
type Store interface {
	Get(account string) (string, error)
	Set(account, secret string) error
	Delete(account string) error
	// Persistent reports whether secrets outlive the process.
	Persistent() bool
}

// Keyring is the OS keyring (Secret Service on Linux, Keychain on macOS, Credential Manager on
// Windows) through zalando/go-keyring.
type Keyring struct {
	Service string // default KeyringService
}

func (k Keyring) service() string {
	if k.Service == "" {
		return KeyringService
	}
	return k.Service
}

// Get returns the secret, ErrNotFound when there is none.
func (k Keyring) Get(account string) (string, error) {
	v, err := keyring.Get(k.service(), account)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("reading the system keyring: %w", err)
	}
	return v, nil
}

// Set stores the secret.
func (k Keyring) Set(account, secret string) error {
	if err := keyring.Set(k.service(), account, secret); err != nil {
		return fmt.Errorf("writing the system keyring: %w", err)
	}
	return nil
}

// Delete removes the secret; deleting what is not there is not an error.
func (k Keyring) Delete(account string) error {
	err := keyring.Delete(k.service(), account)
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("deleting from the system keyring: %w", err)
	}
	return nil
}

// Persistent is true: the keyring outlives the process.
func (Keyring) Persistent() bool { return true }

// Probe reports whether the keyring can be used at all, by reading an account that does not
// exist: a working keyring answers "not found", a missing Secret Service answers an error.
func (k Keyring) Probe() error {
	_, err := keyring.Get(k.service(), "fleetdesk-probe")
	if err == nil || errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return err
}

// Memory keeps secrets in this process only: the fallback when no keyring is available, and the
// store of the demo session. It never writes anything to disk.
type Memory struct {
	mu sync.Mutex
	m  map[string]string
}

// Get returns the secret, ErrNotFound when there is none.
func (m *Memory) Get(account string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[account]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

// Set stores the secret in memory.
func (m *Memory) Set(account, secret string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]string{}
	}
	m.m[account] = secret
	return nil
}

// Delete forgets the secret.
func (m *Memory) Delete(account string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, account)
	return nil
}

// Persistent is false: the secret dies with the process.
func (*Memory) Persistent() bool { return false }

// NoKeyringNotice is what the user is told when sign-ins cannot be remembered.
const NoKeyringNotice = "No system keyring (Secret Service) is available: your sign-in is kept in memory only and ends when FleetDesk closes."

// DefaultStore is the OS keyring when it works, else an in-memory store and the notice saying so.
// It never falls back to a file.
func DefaultStore() (Store, string) {
	k := Keyring{}
	if err := k.Probe(); err != nil {
		return &Memory{}, NoKeyringNotice
	}
	return k, ""
}
