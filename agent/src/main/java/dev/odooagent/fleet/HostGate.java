package dev.odooagent.fleet;

import dev.odooagent.policy.FleetGate;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * This host's side of the waves: the gate of its own wave as the broker last delivered it, whether the canaries that
 * compute it are still online, and how long this host has waited for which digest. Decides "may this host start
 * digest D now?"; no I/O, so the caller passes the time.
 */
public final class HostGate implements FleetGate {

  private final String group;
  private final int wave;
  private final Duration soak;
  private final Duration timeout;
  private final Map<String, Boolean> watcherOnline = new HashMap<>();
  private Gate gate;
  private String waitingDigest;
  private Instant waitingSince;
  private Wait last;
  private JsonObject gaveUp;

  /** The gate of a host in {@code group} at {@code wave}, waiting at most {@code timeout} for earlier waves. */
  public HostGate(String group, int wave, Duration soak, Duration timeout) {
    this.group = group;
    this.wave = wave;
    this.soak = soak;
    this.timeout = timeout;
  }

  /** The gate of this host's wave arrived (null: it was cleared). */
  public synchronized void gate(Gate g) {
    gate = g;
  }

  /** A watcher's retained status arrived. */
  public synchronized void watcherStatus(String host, boolean online) {
    watcherOnline.put(host, online);
  }

  /** The canaries the current gate names as its watchers (their statuses tell whether the gate is kept current). */
  public synchronized List<String> watchers() {
    return gate == null ? List.of() : gate.watchers();
  }

  @Override
  public boolean gated() {
    return wave > 0;
  }

  /** Whether this host waits for the earlier waves to be done with {@code heldDigest} (the pending version's). */
  public synchronized boolean waiting(String heldDigest) {
    return heldDigest != null && heldDigest.equals(waitingDigest) && last != null && !last.gaveUp();
  }

  private void stopWaiting() {
    waitingDigest = null;
    last = null;
  }

  @Override
  public synchronized Wait check(String digest, Instant now) {
    if (wave == 0) {
      return null;
    }
    if (!digest.equals(waitingDigest)) {
      waitingDigest = digest;
      waitingSince = now;
    }
    boolean current = gate != null && gate.watchers().stream().anyMatch(w -> watcherOnline.getOrDefault(w, false));
    if (current && gate.open() && digest.equals(gate.digest())) {
      stopWaiting();
      return null;
    }
    String why;
    if (!current) {
      why = gate == null ? "no canary (wave 0) reports on fleet group " + group + " yet"
          : "no canary (wave 0) of fleet group " + group + " reports any more: " + String.join(", ", gate.watchers())
              + (gate.watchers().size() == 1 ? " is" : " are") + " offline";
    } else if (!digest.equals(gate.digest())) {
      why = "the earlier waves of fleet group " + group + " run " + gate.digest() + ", not " + digest + " yet";
    } else {
      why = "waiting for " + String.join(", ", gate.waitingFor()) + " (earlier waves of fleet group " + group
          + ") to run it healthy for " + soak.toSeconds() + " s";
    }
    Instant deadline = waitingSince.plus(timeout);
    if (!now.isBefore(deadline)) {
      String reason = "fleet: gave up on " + digest + " after fleet.wave_timeout (" + timeout.toSeconds() + " s): " + why
          + "; it is not deployed (an operator may deploy it)";
      gaveUp = new JsonObject().put("digest", digest).put("reason", reason).put("at", now.toString());
      last = new Wait(reason, true);
      waitingDigest = null;
      return last;
    }
    last = new Wait("fleet: " + why + "; waits until " + deadline + " (fleet.wave_timeout)", false);
    return last;
  }

  /** The hosts this host waits for: the gate's list, or its watchers when none is current or it names another digest. */
  private List<String> waitingFor() {
    if (gate == null) {
      return List.of();
    }
    boolean current = gate.watchers().stream().anyMatch(w -> watcherOnline.getOrDefault(w, false));
    return current && waitingDigest.equals(gate.digest()) ? gate.waitingFor() : gate.watchers();
  }

  @Override
  public synchronized JsonObject view(String heldDigest, Instant now) {
    boolean waits = waiting(heldDigest);
    return new JsonObject().put("group", group).put("wave", wave).put("soak_seconds", soak.toSeconds())
        .put("wave_timeout_seconds", timeout.toSeconds())
        .put("waiting", waits)
        .put("waiting_for", new JsonArray(waits ? waitingFor() : List.of()))
        .put("digest", waits ? waitingDigest : null)
        .put("reason", waits ? last.reason() : null)
        .put("gives_up_at", waits ? waitingSince.plus(timeout).toString() : null)
        .put("gate", gate == null ? null : gate.toJson())
        .put("gave_up", gaveUp == null ? null : gaveUp.copy());
  }
}
