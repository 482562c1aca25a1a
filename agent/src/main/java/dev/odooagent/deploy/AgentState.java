package dev.odooagent.deploy;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/** The agent's state machine; {@link Machine#transition} is the only way to move and rejects illegal moves. */
public enum AgentState {
  IDLE, DEPLOYING, ROLLING_BACK, FAILED;

  private static final Map<AgentState, Set<AgentState>> ALLOWED = Map.of(
      IDLE, EnumSet.of(DEPLOYING, ROLLING_BACK),
      DEPLOYING, EnumSet.of(IDLE, ROLLING_BACK),
      ROLLING_BACK, EnumSet.of(IDLE, FAILED),
      FAILED, EnumSet.of(IDLE, DEPLOYING, ROLLING_BACK));

  /** The lower-case name /status shows. */
  public String word() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Holds the current state and notifies a listener on every move. */
  public static final class Machine {
    private AgentState state;
    private final java.util.function.BiConsumer<AgentState, AgentState> listener;

    /** A machine starting in IDLE. */
    public Machine(java.util.function.BiConsumer<AgentState, AgentState> listener) {
      this(IDLE, listener);
    }

    /** A machine starting in {@code initial} (FAILED when a restart finds it persisted). */
    public Machine(AgentState initial, java.util.function.BiConsumer<AgentState, AgentState> listener) {
      this.state = initial;
      this.listener = listener;
    }

    /** The current state. */
    public synchronized AgentState state() {
      return state;
    }

    /** Moves to {@code to}, or throws IllegalStateException naming the illegal move. */
    public void transition(AgentState to) {
      AgentState from;
      synchronized (this) {
        from = state;
        if (!ALLOWED.get(from).contains(to)) {
          throw new IllegalStateException("illegal state transition " + from.word() + " -> " + to.word());
        }
        state = to;
      }
      listener.accept(from, to);
    }
  }
}
