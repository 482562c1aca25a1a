package dev.odooagent.policy;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * The rollout wave check that every automatic deploy passes: may this host start a digest now, or must it wait for
 * the earlier waves of its group (or give up on it, once fleet.wave_timeout has passed). Operator commands on this
 * one host do not ask.
 */
public interface FleetGate {

  /** A host alone (no fleet.group) or a canary: nothing to wait for. */
  FleetGate ALONE = new FleetGate() {
    @Override
    public boolean gated() {
      return false;
    }

    @Override
    public Wait check(String digest, Instant now) {
      return null;
    }

    @Override
    public JsonObject view(String heldDigest, Instant now) {
      return null;
    }
  };

  /** Why a digest may not start yet; {@code gaveUp} when the host stops waiting for it (fleet.wave_timeout passed). */
  record Wait(String reason, boolean gaveUp) {}

  /** Whether automatic deploys on this host wait for earlier waves (a host of wave 1 or later in a group). */
  boolean gated();

  /** Null when an automatic deploy of {@code digest} may start now, else why it waits or was given up. */
  Wait check(String digest, Instant now);

  /**
   * The {@code fleet} object of /status ({@code group, wave, waiting, waiting_for, …}) while {@code heldDigest} (the
   * pending version's, or null) waits, or null when the host is alone.
   */
  JsonObject view(String heldDigest, Instant now);
}
