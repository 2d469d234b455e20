package io.rptun.core.rsc;

/**
 * A word of NuttX's command mailbox (the resource table header's reserved words):
 * {@code (cmd << 16) | value}.
 *
 * @param cmd the command, one of the constants here (u16)
 * @param value its argument (u16)
 */
public record NuttxCommand(int cmd, int value) {
    /** {@code RPTUN_CMD_DONE}: the mailbox is empty. */
    public static final int DONE = 0;
    /** {@code RPTUN_CMD_READY}. */
    public static final int READY = 1;
    /** {@code RPTUN_CMD_PANIC}. */
    public static final int PANIC = 2;
    /** {@code RPTUN_CMD_RESET}. */
    public static final int RESET = 3;
    /** {@code RPTUN_CMD_STOP}. */
    public static final int STOP = 4;
    /** The acknowledgement written in place of a handled command. */
    public static final int ACK = 0xFFFF;

    public NuttxCommand {
        if (cmd < 0 || cmd > 0xFFFF || value < 0 || value > 0xFFFF) {
            throw new IllegalArgumentException("cmd=" + cmd + ", value=" + value + " (each must fit a uint16_t)");
        }
    }

    /** Decodes a mailbox word. */
    public static NuttxCommand decode(int word) {
        return new NuttxCommand(word >>> 16, word & 0xFFFF);
    }

    /** The mailbox word. */
    public int encode() {
        return (cmd << 16) | value;
    }
}
