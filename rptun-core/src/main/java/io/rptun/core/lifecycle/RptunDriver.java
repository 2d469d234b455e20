package io.rptun.core.lifecycle;

import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.virtio.Doorbell;
import io.rptun.core.virtio.PeerNotifier;
import org.jspecify.annotations.Nullable;

/**
 * The platform side of one RPTUN link, modelled on NuttX's {@code struct rptun_ops_s}: where the shared
 * memory is, how to boot and stop the remote, and how to ring it. {@link Rptun} runs the lifecycle on top.
 *
 * <table>
 * <caption>NuttX op to method</caption>
 * <tr><td>{@code get_local_cpuname} / {@code get_cpuname}</td><td>{@link #localCpuName()} / {@link #remoteCpuName()}</td></tr>
 * <tr><td>{@code get_firmware}</td><td>{@link #firmware()}</td></tr>
 * <tr><td>{@code get_addrenv}</td><td>{@link #addressEnvironment()}</td></tr>
 * <tr><td>{@code get_resource}</td><td>{@link #resource()}</td></tr>
 * <tr><td>{@code is_autostart} / {@code is_master}</td><td>{@link #isAutostart()} / {@link #isMaster()}</td></tr>
 * <tr><td>{@code config}</td><td>{@link #config()}</td></tr>
 * <tr><td>{@code start} / {@code stop}</td><td>{@link #start()} / {@link #stop()}</td></tr>
 * <tr><td>{@code notify}</td><td>{@link #notify(int)}, with {@link #NOTIFY_ALL}</td></tr>
 * <tr><td>{@code register_callback}</td><td>{@link #registerCallback}</td></tr>
 * <tr><td>{@code reset} / {@code panic}</td><td>{@link #reset(int)} / {@link #panic()}: optional, as in NuttX;
 * without them {@link Rptun} uses the command mailbox</td></tr>
 * </table>
 *
 * <p>Methods are called by {@link Rptun} from its control thread, except {@link #notify}, which any
 * thread may call and which must not block.
 */
public interface RptunDriver {
    /** "Every vring": NuttX's {@code RPTUN_NOTIFY_ALL}. */
    int NOTIFY_ALL = PeerNotifier.ALL;

    /** This CPU's name. */
    default String localCpuName() {
        return isMaster() ? "host" : "remote";
    }

    /** The peer's name: errors about the peer carry it. */
    String remoteCpuName();

    /** The firmware the master boots the remote with, or null when there is none (a simulator, a ROM). */
    default @Nullable String firmware() {
        return null;
    }

    /** How device addresses map to physical ones ({@code get_addrenv}); identity by default. */
    default AddressEnvironment addressEnvironment() {
        return AddressEnvironment.identity();
    }

    /** The shared memory and its resource table ({@code get_resource}). */
    RptunResource resource();

    /** True when {@link Rptun#create} should start the link at once. */
    default boolean isAutostart() {
        return false;
    }

    /** True on the side that lays out the shared memory and boots the other. */
    boolean isMaster();

    /** Called once the memory is laid out (master) or attached (remote), before the rpmsg device starts. */
    default void config() {
    }

    /**
     * Master: boots the remote (starts its thread or process) over the laid-out memory. Remote: waits until
     * the master's table is there to attach to. Called again after a reset.
     *
     * @throws io.rptun.core.RptunException (a typed subclass) when it cannot
     */
    void start();

    /** Stops the remote (master) or detaches (remote). Idempotent. */
    void stop();

    /** Rings the peer for vring {@code notifyId}, or {@link #NOTIFY_ALL}. Any thread; never blocks for long. */
    void notify(int notifyId);

    /** Where to report kicks and peer death; null unregisters. */
    void registerCallback(@Nullable RptunCallback callback);

    /**
     * A doorbell the serving thread can sleep on directly (a futex, a socket), saving a thread hop; null
     * (the default) makes {@link Rptun} use an in-process one that {@link RptunCallback#notified} rings.
     */
    default @Nullable Doorbell doorbell() {
        return null;
    }

    /** Resets the remote with {@code value}; false (the default) means "no such op, use the mailbox". */
    default boolean reset(int value) {
        return false;
    }

    /** Makes the remote panic; false (the default) means "no such op, use the mailbox". */
    default boolean panic() {
        return false;
    }

    /** Releases what the driver holds (files, sockets, processes). Called by {@link Rptun#close()}. */
    default void close() {
    }
}
