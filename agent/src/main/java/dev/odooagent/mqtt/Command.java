package dev.odooagent.mqtt;

import java.util.Locale;
import java.util.Optional;

/**
 * An operator command received over MQTT and verified; tag, digest and mode (rollback only) may be null. {@code force}
 * deploys past a pin and past the fleet waves; {@code toAll} when it came on {@code P/all/cmd}.
 */
public record Command(String id, Action action, String tag, String digest, String mode, boolean force, boolean toAll) {

  /** A command without a rollback mode. */
  public Command(String id, Action action, String tag, String digest) {
    this(id, action, tag, digest, null);
  }

  /** A command to this one host, not forced. */
  public Command(String id, Action action, String tag, String digest, String mode) {
    this(id, action, tag, digest, mode, false, false);
  }

  /** The same command, as received on {@code P/all/cmd}. */
  public Command asBroadcast() {
    return new Command(id, action, tag, digest, mode, force, true);
  }

  /** What a command asks the agent to do. */
  public enum Action {
    PIN, UNPIN, DEPLOY, ROLLBACK, APPROVE, STATUS;

    /** The wire name of the action, e.g. {@code pin}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Whether the action needs a tag or a digest (pin, deploy) rather than refusing them. */
    public boolean takesVersion() {
      return this == PIN || this == DEPLOY;
    }

    /** The action with this wire name, if there is one. */
    public static Optional<Action> fromLabel(String label) {
      for (Action action : values()) {
        if (action.label().equals(label)) {
          return Optional.of(action);
        }
      }
      return Optional.empty();
    }
  }
}
