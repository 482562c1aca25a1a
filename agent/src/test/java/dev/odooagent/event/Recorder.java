package dev.odooagent.event;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A trigger sink and event counter that remember what they were given. */
final class Recorder implements TriggerSink, EventCounter {

  final List<Trigger> triggers = new CopyOnWriteArrayList<>();
  final List<String> counts = new CopyOnWriteArrayList<>();
  volatile Verdict verdict = Verdict.ACCEPTED;
  volatile RuntimeException failure;

  @Override
  public Verdict offer(Trigger trigger) {
    RuntimeException f = failure;
    if (f != null) {
      throw f;
    }
    triggers.add(trigger);
    return verdict;
  }

  @Override
  public void count(Source source, String result) {
    counts.add(source.label() + ":" + result);
  }
}
