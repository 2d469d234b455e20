package io.rptun.core.rsc;

/** How strictly the reserved fields of a resource table are read. */
public enum ParseMode {
    /**
     * OpenAMP: every reserved field (header words, vdev bytes, carveout/devmem/trace/vring words) must
     * be zero.
     */
    OPENAMP,
    /**
     * NuttX: the header's reserved words are the command mailbox {@code {cmd_master, cmd_slave}}, the
     * vdev's {@code reserved[0]} is the master's virtio role (0 driver, 1 device); other reserved fields
     * are accepted as they are.
     */
    NUTTX,
}
