package dev.odooagent.deploy;

import java.util.Locale;

/** Why a deploy was rolled back; the {@code reason} label of {@code odoo_agent_rollbacks_total}. */
public enum RollbackReason {
  /** The safety copy could not be taken. */
  SNAPSHOT_FAILED,
  /** The module upgrade failed, hung or could not run. */
  UPGRADE_FAILED,
  /** The new container never passed its health gate. */
  HEALTH_FAILED,
  /** The container engine failed a step after the old container was stopped. */
  ENGINE_FAILED,
  /** An operator asked for it. */
  MANUAL,
  /** The agent stopped mid-deploy and converged at its next start. */
  RECOVERY;

  /** The label value. */
  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The reason with this label value, or RECOVERY for an unknown one. */
  public static RollbackReason of(String word) {
    for (RollbackReason r : values()) {
      if (r.word().equals(word)) {
        return r;
      }
    }
    return RECOVERY;
  }
}
