package dev.odooagent.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.odooagent.Await;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Verdict events become whole verdicts: from the event when it carries the record, else from the journal once written. */
class VerdictsTest {
  final Vertx vertx = Vertx.vertx();
  final JsonArray journal = new JsonArray();
  final List<DeployVerdict> heard = new CopyOnWriteArrayList<>();
  final Verdicts verdicts = new Verdicts(vertx, "h1", limit -> journal.copy()).listen(heard::add);

  @AfterEach
  void down() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static JsonObject event(String step, String state) {
    return new JsonObject().put("deploy_id", "d1").put("step", step).put("state", state).put("at", "2026-01-01T12:00:30Z")
        .put("to", new JsonObject().put("tag", "v2"));
  }

  @Test
  void theReasonAndDurationAreReadFromTheJournalOnceTheVerdictIsWritten() {
    verdicts.accept(event("pull", "started"));
    verdicts.accept(event("verdict", "rolled_back"));
    vertx.setTimer(300, t -> journal.add(new JsonObject().put("id", "d1").put("outcome", "rolled_back").put("reason", "gate failed")
        .put("from", new JsonObject().put("tag", "v1")).put("to", new JsonObject().put("tag", "v2"))
        .put("started", "2026-01-01T12:00:00Z").put("finished", "2026-01-01T12:00:30Z")));
    Await.until("the verdict", Duration.ofSeconds(5), Duration.ofMillis(20), () -> heard.size() == 1);
    DeployVerdict v = heard.get(0);
    assertEquals("gate failed", v.reason());
    assertEquals(Duration.ofSeconds(30), v.duration());
    assertEquals("v1", v.from().tag());
    assertEquals("h1", v.host());
  }

  @Test
  void aVerdictEventThatCarriesTheRecordIsUsedAsItIs() {
    verdicts.accept(event("verdict", "failed").put("reason", "no such tag").put("started", "2026-01-01T12:00:29Z")
        .put("finished", "2026-01-01T12:00:30Z"));
    assertEquals(1, heard.size(), "no wait for the journal");
    assertEquals("no such tag", heard.get(0).reason());
    assertEquals(Duration.ofSeconds(1), heard.get(0).duration());
  }

  @Test
  void aListenerThatThrowsDoesNotKeepTheOthersFromHearing() {
    Verdicts v = new Verdicts(vertx, "h1", limit -> journal.copy()).listen(x -> {
      throw new IllegalStateException("boom");
    }).listen(heard::add);
    v.accept(event("verdict", "success").put("finished", "2026-01-01T12:00:30Z"));
    assertEquals(1, heard.size());
    assertNull(heard.get(0).duration(), "no start time, no duration");
  }
}
