package dev.odooagent.it;

import java.util.Comparator;
import org.junit.jupiter.api.MethodDescriptor;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.MethodOrdererContext;

/**
 * Methods by name, last first: run an IT with it to show that it does not depend on its methods' order, e.g.
 * {@code -DargLine=-Djunit.jupiter.testmethod.order.default=dev.odooagent.it.ReversedMethodOrder}.
 */
public final class ReversedMethodOrder implements MethodOrderer {
  /** Sorts the methods by name, descending. */
  @Override
  public void orderMethods(MethodOrdererContext context) {
    context.getMethodDescriptors().sort(Comparator.comparing((MethodDescriptor m) -> m.getMethod().getName()).reversed());
  }
}
