package dev.odooagent.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class JournalTest {
  @TempDir
  Path dir;

  private static JsonObject record(String id) {
    return new JsonObject().put("id", id).put("source", "admin").put("started", "2026-01-01T00:00:00Z")
        .put("to", new JsonObject().put("tag", "sha-" + id).put("digest", "sha256:" + id))
        .put("from", new JsonObject().put("tag", "v1").put("digest", "sha256:old"));
  }

  /** Appends the entries one after the other, as the deployer does. */
  private static Future<Void> append(Journal j, JsonObject record, String... stepStates) {
    Future<Void> f = Future.succeededFuture();
    for (String ss : stepStates) {
      String[] p = ss.split("/");
      f = f.compose(x -> j.append(p[0], p[1], record));
    }
    return f;
  }

  private static Future<Void> finished(Journal j, String id, String outcome) {
    JsonObject r = record(id);
    return append(j, r, "resolve/started", "resolve/done")
        .compose(x -> {
          r.put("outcome", outcome).put("finished", "2026-01-01T00:01:00Z").put("modules", new JsonArray().add("ipai_core"));
          return j.append("verdict", outcome, r);
        });
  }

  private Path file() {
    return dir.resolve("journal.jsonl");
  }

  private void check(VertxTestContext ctx, Future<?> f, Runnable assertions) {
    f.onComplete(ctx.succeeding(x -> ctx.verify(() -> {
      assertions.run();
      ctx.completeNow();
    })));
  }

  @Test
  void anAppendedEntryIsOnDiskWhenTheFutureCompletesAndSurvivesAReload(Vertx vertx, VertxTestContext ctx) {
    Journal j = new Journal(vertx, dir);
    check(ctx, finished(j, "d1", "success"), () -> {
      List<String> lines = readLines();
      assertEquals(3, lines.size());
      JsonObject last = new JsonObject(lines.get(2));
      assertEquals("verdict", last.getString("step"));
      assertEquals("success", last.getString("state"));
      assertEquals("d1", last.getString("deploy_id"));

      Journal again = new Journal(vertx, dir);
      assertNull(again.unfinished(), "a deploy with a verdict is finished");
      assertEquals(j.history(10), again.history(10));
      JsonObject v = again.lastVerdict();
      assertEquals("d1", v.getString("id"));
      assertEquals("success", v.getString("outcome"));
      assertEquals("sha-d1", v.getJsonObject("to").getString("tag"));
      assertEquals(new JsonArray().add("ipai_core"), v.getJsonArray("modules"));
    });
  }

  @Test
  void eachEntryHoldsTheRecordAsItWasThen(Vertx vertx, VertxTestContext ctx) {
    Journal j = new Journal(vertx, dir);
    JsonObject r = record("d1");
    check(ctx, j.append("stop old", "started", r).map(x -> {
      r.put("stopped_old", "changed after append");
      return x;
    }).compose(x -> j.append("stop old", "done", r)), () -> {
      List<String> lines = readLines();
      assertFalse(new JsonObject(lines.get(0)).getJsonObject("record").containsKey("stopped_old"));
      assertTrue(new JsonObject(lines.get(1)).getJsonObject("record").containsKey("stopped_old"));
    });
  }

  @Test
  void aCrashMidDeployLeavesItUnfinishedWithTheStepItWasIn(Vertx vertx, VertxTestContext ctx) {
    Journal j = new Journal(vertx, dir);
    JsonObject r = record("d2");
    check(ctx, finished(j, "d1", "success")
        .compose(x -> append(j, r, "resolve/started", "resolve/done", "pull/started", "pull/done"))
        .compose(x -> {
          r.put("stopped_old", true).put("copy", "odoo__pre_d2");
          return append(j, r, "stop old/started", "stop old/done", "snapshot/started");
        }), () -> {
      // the agent is killed here; it starts again
      JsonObject u = new Journal(vertx, dir).unfinished();
      assertEquals("d2", u.getString("id"));
      assertEquals("snapshot", u.getString("interrupted_step"));
      assertEquals("started", u.getString("interrupted_state"));
      assertEquals(true, u.getBoolean("stopped_old"));
      assertEquals("odoo__pre_d2", u.getString("copy"));
      assertFalse(u.containsKey("snapshot_done"));
      assertEquals(1, new Journal(vertx, dir).history(10).size(), "the unfinished deploy is not history yet");
    });
  }

  @Test
  void aTornLastLineIsIgnoredAndTheEntryBeforeItIsTheTruth(Vertx vertx, VertxTestContext ctx) {
    Journal j = new Journal(vertx, dir);
    JsonObject r = record("d1").put("reason", "naïve café: ünïcödé");
    check(ctx, append(j, r, "resolve/started", "resolve/done", "upgrade/started", "upgrade/done"), () -> {
      tearLastLine();
      Journal again = new Journal(vertx, dir);
      assertEquals("upgrade", again.unfinished().getString("interrupted_step"));
      assertEquals("started", again.unfinished().getString("interrupted_state"));
    });
  }

  @Test
  void aTornLineCutInsideACharacterDoesNotStopTheAgentFromStarting(Vertx vertx, VertxTestContext ctx) {
    Journal j = new Journal(vertx, dir);
    JsonObject r = record("d1");
    check(ctx, append(j, r, "pull/started").compose(x -> j.append("pull", "done", r.copy().put("reason", "ééééééééé"))), () -> {
      byte[] all = readBytes();
      int cut = indexOf(all, "é".getBytes(StandardCharsets.UTF_8), all.length - 200) + 1; // inside the 2-byte é
      writeBytes(Arrays.copyOf(all, cut));
      assertEquals("pull", new Journal(vertx, dir).unfinished().getString("interrupted_step"));
      assertEquals("started", new Journal(vertx, dir).unfinished().getString("interrupted_state"));
    });
  }

  @Test
  void theFirstEntryAfterATornLineIsNotLost(Vertx vertx, VertxTestContext ctx) {
    Journal j = new Journal(vertx, dir);
    JsonObject r = record("d1").put("stopped_old", true);
    Function<Void, Future<Void>> crashAndResume = x -> {
      tearLastLine();
      Journal restarted = new Journal(vertx, dir);
      return restarted.append("rollback", "started", r);
    };
    check(ctx, append(j, r, "stop old/started", "stop old/done", "upgrade/started").compose(crashAndResume), () -> {
      JsonObject u = new Journal(vertx, dir).unfinished();
      assertEquals("rollback", u.getString("interrupted_step"), "the entry written after the crash must be read back");
    });
  }

  @Test
  void historyIsNewestFirstLimitedAndShowsThePublicShapeOnly(Vertx vertx, VertxTestContext ctx) {
    Journal j = new Journal(vertx, dir);
    assertEquals(new JsonArray(), j.history(5));
    assertNull(j.lastVerdict());
    check(ctx, finished(j, "d1", "success").compose(x -> finished(j, "d2", "rolled_back"))
        .compose(x -> finished(j, "d3", "skipped")).compose(x -> finished(j, "d4", "failed")), () -> {
      for (Journal jj : List.of(j, new Journal(vertx, dir))) {
        JsonArray all = jj.history(10);
        assertEquals(List.of("d4", "d3", "d2", "d1"), all.stream().map(o -> ((JsonObject) o).getString("id")).toList());
        assertEquals(List.of("d4", "d3"), jj.history(2).stream().map(o -> ((JsonObject) o).getString("id")).toList());
        assertEquals(new JsonArray(), jj.history(0));
        assertEquals("d4", jj.lastVerdict().getString("id"));
        assertEquals(java.util.Set.of("id", "outcome", "from", "to", "started", "finished", "reason", "source", "modules", "strategy"),
            all.getJsonObject(0).fieldNames());
      }
    });
  }

  @Test
  void anUnreadableStateDirIsNamedInTheError(Vertx vertx) throws IOException {
    Path notADir = dir.resolve("file");
    Files.writeString(notADir, "x");
    RuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class, () -> new Journal(vertx, notADir));
    assertTrue(e.getMessage().contains("check state_dir"), e.getMessage());
  }

  private List<String> readLines() {
    try {
      return Files.readAllLines(file(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private byte[] readBytes() {
    try {
      return Files.readAllBytes(file());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private void writeBytes(byte[] bytes) {
    try {
      Files.write(file(), bytes, StandardOpenOption.TRUNCATE_EXISTING);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Cuts the last line in the middle, as a crash during its write would. */
  private void tearLastLine() {
    byte[] all = readBytes();
    int start = all.length - 2;
    while (start > 0 && all[start] != '\n') {
      start--;
    }
    writeBytes(Arrays.copyOf(all, start + 1 + (all.length - start) / 2));
  }

  private static int indexOf(byte[] hay, byte[] needle, int from) {
    for (int i = Math.max(0, from); i <= hay.length - needle.length; i++) {
      if (Arrays.equals(Arrays.copyOfRange(hay, i, i + needle.length), needle)) {
        return i;
      }
    }
    throw new IllegalStateException("not found");
  }
}
