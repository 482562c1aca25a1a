package dev.odooagent.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalCompactionTest {
  @TempDir
  Path dir;
  final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close();
  }

  private void write(Journal j, String id, String step, String state) throws Exception {
    j.append(step, state, new JsonObject().put("id", id).put("outcome", state).put("padding", "x".repeat(200)))
        .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void aLargeJournalKeepsTheNewestVerdictsAndTheUnfinishedDeploy() throws Exception {
    Journal j = new Journal(vertx, dir, Long.MAX_VALUE);
    for (int i = 0; i < 1200; i++) {
      write(j, "d" + i, "pull", "started");
      write(j, "d" + i, "verdict", "success");
    }
    write(j, "open", "upgrade", "started");
    long before = Files.size(dir.resolve("journal.jsonl"));

    Journal reopened = new Journal(vertx, dir, 1024);

    assertTrue(Files.size(dir.resolve("journal.jsonl")) < before / 2);
    assertEquals("d1199", reopened.history(1).getJsonObject(0).getString("id"));
    assertEquals(Journal.KEEP_VERDICTS, reopened.history(5000).size());
    assertEquals("d200", reopened.history(5000).getJsonObject(Journal.KEEP_VERDICTS - 1).getString("id"));
    JsonObject open = reopened.unfinished();
    assertNotNull(open, "the interrupted deploy survives compaction");
    assertEquals("open", open.getString("id"));
    assertEquals("upgrade", open.getString("interrupted_step"));
  }
}
