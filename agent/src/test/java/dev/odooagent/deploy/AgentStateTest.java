package dev.odooagent.deploy;

import static dev.odooagent.deploy.AgentState.DEPLOYING;
import static dev.odooagent.deploy.AgentState.FAILED;
import static dev.odooagent.deploy.AgentState.IDLE;
import static dev.odooagent.deploy.AgentState.ROLLING_BACK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AgentStateTest {
  /** The moves the engine makes, written out rather than read from the code under test. */
  private static final Map<AgentState, Set<AgentState>> LEGAL = Map.of(
      IDLE, EnumSet.of(DEPLOYING, ROLLING_BACK),
      DEPLOYING, EnumSet.of(IDLE, ROLLING_BACK),
      ROLLING_BACK, EnumSet.of(IDLE, FAILED),
      FAILED, EnumSet.of(IDLE, DEPLOYING, ROLLING_BACK));

  /** Legal moves from IDLE to each state. */
  private static final Map<AgentState, List<AgentState>> PATH = Map.of(
      IDLE, List.of(),
      DEPLOYING, List.of(DEPLOYING),
      ROLLING_BACK, List.of(ROLLING_BACK),
      FAILED, List.of(ROLLING_BACK, FAILED));

  private final List<String> moves = new ArrayList<>();

  private AgentState.Machine machineIn(AgentState state) {
    AgentState.Machine m = new AgentState.Machine((from, to) -> moves.add(from.word() + "->" + to.word()));
    PATH.get(state).forEach(m::transition);
    assertEquals(state, m.state());
    moves.clear();
    return m;
  }

  @Test
  void startsIdle() {
    assertEquals(IDLE, new AgentState.Machine((a, b) -> { }).state());
  }

  @Test
  void everyLegalMoveIsMadeAndReported() {
    int n = 0;
    for (AgentState from : AgentState.values()) {
      for (AgentState to : LEGAL.get(from)) {
        AgentState.Machine m = machineIn(from);
        m.transition(to);
        assertEquals(to, m.state());
        assertEquals(List.of(from.word() + "->" + to.word()), moves);
        n++;
      }
    }
    assertEquals(9, n);
  }

  @Test
  void everyIllegalMoveIsRefusedNamingItAndChangesNothing() {
    int n = 0;
    for (AgentState from : AgentState.values()) {
      for (AgentState to : EnumSet.complementOf(EnumSet.copyOf(LEGAL.get(from)))) {
        AgentState.Machine m = machineIn(from);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.transition(to), from + "->" + to);
        assertEquals("illegal state transition " + from.word() + " -> " + to.word(), e.getMessage());
        assertEquals(from, m.state());
        assertEquals(List.of(), moves, "no listener call for a refused move");
        n++;
      }
    }
    assertEquals(7, n, "4 self-moves plus idle->failed, deploying->failed, rolling_back->deploying");
  }

  @Test
  void wordsAreTheStatusSpelling() {
    assertEquals(List.of("idle", "deploying", "rolling_back", "failed"),
        List.of(IDLE.word(), DEPLOYING.word(), ROLLING_BACK.word(), FAILED.word()));
  }
}
