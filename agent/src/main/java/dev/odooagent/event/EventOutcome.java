package dev.odooagent.event;

import java.util.Objects;

/** What one well-formed webhook event means for this agent: a candidate version, or a reason to ignore it. */
public sealed interface EventOutcome permits EventOutcome.Candidate, EventOutcome.Ignored {

  /**
   * A validated version of the configured image, to be offered to the policy.
   *
   * @param tag the image tag
   * @param digest the manifest digest, or null when the event did not carry one
   */
  record Candidate(String tag, String digest) implements EventOutcome {

    /** Validates the tag and, when present, the digest. */
    public Candidate {
      Validation.requireTag(tag);
      if (digest != null) {
        Validation.requireDigest(digest);
      }
    }
  }

  /**
   * An event that is valid but not for this agent.
   *
   * @param reason why it is ignored, shown to the sender
   */
  record Ignored(String reason) implements EventOutcome {

    /** Requires a reason. */
    public Ignored {
      Objects.requireNonNull(reason, "reason");
    }
  }
}
