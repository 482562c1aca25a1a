package dev.odooagent.policy;

import dev.odooagent.config.MaintenanceWindow;
import java.time.Instant;

/**
 * Decides whether an automatic deploy that the {@link TriggerPolicy} accepted may start now, or must wait as the
 * pending version: for an operator's approval ({@code deploy.auto: false}, which wins) or for the maintenance window.
 * Operator commands are never held.
 */
public record Hold(boolean auto, MaintenanceWindow window) {
  /** Nothing is held: automatic deploys start at once. */
  public static final Hold NONE = new Hold(true, MaintenanceWindow.ALWAYS);

  /** Why an automatic deploy must wait at {@code now}, or null when it may start. */
  public String reason(Instant now) {
    if (!auto) {
      return "approval mode (deploy.auto: false): an operator deploys it with `odoo-agent approve`";
    }
    if (!window.isOpen(now)) {
      return "outside the maintenance window " + window + " (deploy.window); it opens at " + window.nextOpening(now);
    }
    return null;
  }

  /** When the window next lets the pending version start by itself, or null when only an operator can (approval mode). */
  public Instant nextOpening(Instant now) {
    return auto ? window.nextOpening(now) : null;
  }
}
