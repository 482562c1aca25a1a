package dev.odooagent.mqtt;

/** A command that is not executed; the message says why and what to do, and is shown to the operator. */
public final class CommandRefusedException extends Exception {

  private static final long serialVersionUID = 1L;

  private final String commandId;
  private final boolean duplicate;

  /** A refusal of the command with the given id (null when the payload had no usable id). */
  public CommandRefusedException(String commandId, String message) {
    this(commandId, message, false);
  }

  /** A refusal that says whether it was refused only because its id was already used. */
  public CommandRefusedException(String commandId, String message, boolean duplicate) {
    super(message, null, false, false);
    this.commandId = commandId;
    this.duplicate = duplicate;
  }

  /** The id of the refused command, or null when the payload had none that could be used. */
  public String commandId() {
    return commandId;
  }

  /** True when the command was refused only because its id was already used (a replay or a redelivery). */
  public boolean duplicate() {
    return duplicate;
  }
}
