package dev.odooagent.event;

import java.util.Locale;

/** Where a trigger came from; its label is the {@code source} label of {@code odoo_agent_events_total}. */
public enum Source {
  GITHUB,
  REGISTRY,
  MQTT,
  POLL,
  ADMIN;

  /** The lowercase name used in metrics, logs and journal entries. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
