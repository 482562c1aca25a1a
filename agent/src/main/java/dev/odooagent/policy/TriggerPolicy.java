package dev.odooagent.policy;

import dev.odooagent.event.Trigger;
import java.util.regex.Pattern;

/**
 * Decides whether an automatic trigger may start a deploy: the channel tag or an accepted tag, no pin in force, no
 * FAILED verdict waiting, and never a digest this host already left or rolled back (forward only). Judged when a
 * trigger is offered and again, through {@link #admit}, when its deploy starts and the digest is known.
 */
public final class TriggerPolicy {
  /** How a refusal that comes from the fleet group (not from this host's own rollback) begins its reason. */
  public static final String FLEET = "fleet";
  private final String track;
  private final Pattern tagPattern;

  /** A policy following channel {@code track} and accepting tags matching {@code tagPattern}. */
  public TriggerPolicy(String track, Pattern tagPattern) {
    this.track = track;
    this.tagPattern = tagPattern;
  }

  /** The decision: accepted, or ignored with a plain reason. */
  public record Decision(boolean accepted, String reason) {
    static final Decision YES = new Decision(true, "");

    static Decision no(String reason) {
      return new Decision(false, reason);
    }
  }

  /** Judges a trigger as it is offered. */
  public Decision judge(Trigger t, HostRecord host) {
    if (t.tag() == null || t.tag().isEmpty()) {
      return Decision.no("no tag");
    }
    if (!t.tag().equals(track) && !tagPattern.matcher(t.tag()).find()) {
      return Decision.no("tag " + t.tag() + " is neither the channel " + track + " nor matches service.tag_pattern");
    }
    return admit(t.digest(), host);
  }

  /** Judges the digest an automatic deploy is about to start (null while unresolved: only pin and FAILED count). */
  public Decision admit(String digest, HostRecord host) {
    if (host.failure() != null) {
      return Decision.no("the agent is FAILED (" + host.failure() + "); an operator must deploy, pin or roll back");
    }
    if (host.pinnedDigest() != null && !host.pinnedDigest().equals(digest)) {
      return Decision.no("a pin holds; unpin to follow " + track + " again");
    }
    String backwards = backwards(digest, host);
    return backwards == null ? Decision.YES : Decision.no(backwards);
  }

  /**
   * Why {@code digest} may never start automatically on this host, whatever happens next (it was rolled back here, or
   * the host left it for a newer one), or null. A pending version this names is dropped.
   */
  public String backwards(String digest, HostRecord host) {
    String rejected = host.rejectedBy(digest);
    if (rejected != null) {
      return digest + (rejected.startsWith(FLEET) ? " is refused on this host (" : " was rolled back on this host (")
          + rejected + "); only an operator may deploy it again";
    }
    String left = host.leftAt(digest);
    if (left != null) {
      return digest + " is older than what runs: this host left it at " + left
          + "; automatic triggers only move forward (an operator may deploy it)";
    }
    return null;
  }
}
