// Package token holds the rules for API tokens a dealer issues to customer accounts: who may get
// one, with which access, limited to which devices, for how long. It imports no Fyne, no HTTP and
// no SQL. Secrets pass through here only in memory, once, at creation.
package token

import "time"

// Access is what a token may do.
type Access string

// Token access levels, as the dealer guide names them.
const (
	AccessReadOnly Access = "read_only" // dashboards, reporting, monitoring
	AccessControl  Access = "control"   // commands and supported settings writes
)

// DisplayName is the guide's wording.
func (a Access) DisplayName() string {
	switch a {
	case AccessReadOnly:
		return "read-only"
	case AccessControl:
		return "control-enabled"
	}
	return string(a)
}

// User is a customer account in the dealer's scope.
type User struct {
	ID     string `json:"id"`
	Email  string `json:"email"`
	Name   string `json:"name"`
	Dealer string `json:"dealer"`
}

// Info is an issued token's metadata: everything but the secret, safe to cache.
type Info struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	UserID    string     `json:"user_id"`
	UserEmail string     `json:"user_email"`
	Access    Access     `json:"access"`
	Devices   []string   `json:"devices"` // empty: every device of the user's account
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	LastUsed  *time.Time `json:"last_used,omitempty"`
	Revoked   bool       `json:"revoked"`
}

// CreateRequest asks the backend for a new token.
type CreateRequest struct {
	UserID    string    `json:"user_id"`
	Name      string    `json:"name"`
	Access    Access    `json:"access"`
	Devices   []string  `json:"devices,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
	Reason    string    `json:"reason,omitempty"` // why control access is needed
}

// Created is the backend's answer to a create: the metadata and, this once, the secret.
type Created struct {
	Token  Info   `json:"token"`
	Secret string `json:"secret"`
}
