package io.rptun.core.rpmsg;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How an {@link RpmsgDevice} behaves. Immutable; start from {@link #defaults()} and change fields with
 * the {@code withXxx} methods.
 *
 * @param name what the device calls itself in messages and dumps ("host", "remote", a cpu name)
 * @param vdev which vdev of the resource table (0 for NuttX's standard table)
 * @param features the features a host asks for; it writes {@code dfeatures & features} as gfeatures.
 *     A remote uses what the host wrote.
 * @param sendTimeout how long a send waits for a free TX buffer (OpenAMP waits about 15 s)
 * @param rxBatch buffers taken from the RX ring per pass before they are dispatched
 * @param bindHook called for an NS create that matched no waiting local endpoint, or null
 * @param dropListener told about each dropped inbound message, or null
 */
public record RpmsgOptions(
        String name,
        int vdev,
        int features,
        Duration sendTimeout,
        int rxBatch,
        @Nullable BindHook bindHook,
        @Nullable DropListener dropListener) {

    /** OpenAMP's {@code RPMSG_TICK_COUNT * RPMSG_TICKS_PER_INTERVAL}: 15 seconds. */
    public static final Duration DEFAULT_SEND_TIMEOUT = Duration.ofSeconds(15);

    /** Checks the values. */
    public RpmsgOptions {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(sendTimeout, "sendTimeout");
        if (vdev < 0) {
            throw new IllegalArgumentException("vdev=" + vdev);
        }
        if (sendTimeout.isNegative()) {
            throw new IllegalArgumentException("sendTimeout=" + sendTimeout);
        }
        if (rxBatch < 1) {
            throw new IllegalArgumentException("rxBatch=" + rxBatch);
        }
    }

    /** Name "rpmsg", vdev 0, every supported feature, 15 s send timeout, 64 buffers per pass, no hooks. */
    public static RpmsgOptions defaults() {
        return new RpmsgOptions("rpmsg", 0, RpmsgAddresses.SUPPORTED, DEFAULT_SEND_TIMEOUT, 64, null, null);
    }

    public RpmsgOptions withName(String value) {
        return new RpmsgOptions(value, vdev, features, sendTimeout, rxBatch, bindHook, dropListener);
    }

    public RpmsgOptions withVdev(int value) {
        return new RpmsgOptions(name, value, features, sendTimeout, rxBatch, bindHook, dropListener);
    }

    public RpmsgOptions withFeatures(int value) {
        return new RpmsgOptions(name, vdev, value, sendTimeout, rxBatch, bindHook, dropListener);
    }

    public RpmsgOptions withSendTimeout(Duration value) {
        return new RpmsgOptions(name, vdev, features, value, rxBatch, bindHook, dropListener);
    }

    public RpmsgOptions withRxBatch(int value) {
        return new RpmsgOptions(name, vdev, features, sendTimeout, value, bindHook, dropListener);
    }

    public RpmsgOptions withBindHook(@Nullable BindHook value) {
        return new RpmsgOptions(name, vdev, features, sendTimeout, rxBatch, value, dropListener);
    }

    public RpmsgOptions withDropListener(@Nullable DropListener value) {
        return new RpmsgOptions(name, vdev, features, sendTimeout, rxBatch, bindHook, value);
    }
}
