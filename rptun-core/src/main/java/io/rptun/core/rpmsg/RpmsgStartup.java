package io.rptun.core.rpmsg;

import io.rptun.core.heap.CarveoutHeap;
import io.rptun.core.memory.AddressException;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.rpmsg.RpmsgDevice.State;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.rsc.LiveResourceTable;
import io.rptun.core.virtio.PeerNotifier;
import io.rptun.core.virtio.Vring;
import io.rptun.core.virtio.VringBuffer;
import io.rptun.core.virtio.VirtqueuePort;
import io.rptun.core.virtio.VirtqueuePort.Mode;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start-up handshake of a device, kept out of {@link RpmsgDevice} (docs/protocols.md section 3): the
 * vdev's status byte orders it. The host ({@link #startHost}) resets the status, writes gfeatures and kicks,
 * clears both vrings, posts every RX buffer, and only then writes DRIVER_OK (a release store) and kicks. A
 * remote ({@link #tryStart}) touches no ring until its acquire load of the status sees DRIVER_OK; it then
 * attaches to the rings and announces the endpoints created meanwhile. Either way the device ends READY
 * with its link in {@link DeviceState}, or BROKEN when the host's vdev does not fit the shared memory.
 * Logs under {@link RpmsgDevice}'s logger.
 *
 * <p>Threads: {@link #startHost} runs on the thread that makes the host, before the device is handed out;
 * {@link #tryStart} on the serving thread, under the dispatch lock ({@link RpmsgDevice#process()}), and
 * switches to READY under the device's lock, so that a concurrent failure wins or loses as a whole;
 * {@link #awaitReady} on any thread, serving the device itself while it waits.
 */
final class RpmsgStartup {
    private static final long DISPATCHER_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final Logger LOG = LoggerFactory.getLogger(RpmsgDevice.class);

    private final RpmsgDevice device;
    private final DeviceState st;
    private final DeviceShutdown shutdown;
    private final SharedRegion region;
    private final LiveResourceTable table;
    private final PeerNotifier notifier;
    private final RpmsgOptions options;
    private final String name;
    private final int vdev;
    private final RpmsgVdev vdevInfo;
    private final RpmsgNameService nameService;
    /** The device's lock: the RX buffers are posted, and READY is set, under it. */
    private final Object lock;
    /** The host's carveout buffers (its RX buffers are remembered there); null on a remote. */
    private final @Nullable HostBuffers hostBuffers;

    RpmsgStartup(RpmsgDevice device, DeviceState st, DeviceShutdown shutdown, SharedRegion region,
            LiveResourceTable table, PeerNotifier notifier, RpmsgVdev vdevInfo, RpmsgNameService nameService,
            Object lock, @Nullable HostBuffers hostBuffers) {
        this.device = device;
        this.st = st;
        this.shutdown = shutdown;
        this.region = region;
        this.table = table;
        this.notifier = notifier;
        this.options = device.options();
        this.name = options.name();
        this.vdev = options.vdev();
        this.vdevInfo = vdevInfo;
        this.nameService = nameService;
        this.lock = lock;
        this.hostBuffers = hostBuffers;
    }

    /** Host: the driver's handshake, at once (see {@link RpmsgDevice#host}). */
    void startHost() {
        HostBuffers hb = Objects.requireNonNull(hostBuffers);
        CarveoutHeap h = hb.heap();
        table.setStatus(vdev, 0);
        int features = table.dfeatures(vdev) & options.features();
        table.setGfeatures(vdev, features);
        notifier.notify(PeerNotifier.ALL);
        Vring rxRing = vdevInfo.vring(0);
        Vring txRing = vdevInfo.vring(1);
        rxRing.clear();
        txRing.clear();
        RpmsgLink l = vdevInfo.link(features,
                VirtqueuePort.driver(name + ".tx", txRing, region, Mode.SEND, vdevInfo.kick(1)),
                VirtqueuePort.driver(name + ".rx", rxRing, region, Mode.RECEIVE, vdevInfo.kick(0)));
        synchronized (lock) {
            for (int i = 0; i < rxRing.num(); i++) {
                VringBuffer b = l.rx().allocateBuffer(h, l.rxBufferSize());
                if (b == null) {
                    hb.freeAll();
                    throw new RpmsgException(Reason.HEAP_EXHAUSTED, name + ": the heap (" + h.stats() + ") cannot hold "
                            + rxRing.num() + " RX buffers of " + l.rxBufferSize() + " bytes");
                }
                hb.add(b.offset());
                l.rx().stage(b);
            }
        }
        l.rx().flush();
        st.attach(l);
        // The posted RX buffers and the cleared rings must be visible before DRIVER_OK (release store).
        table.setStatus(vdev, RpmsgAddresses.STATUS_DRIVER_OK);
        st.ready();
        notifier.notify(PeerNotifier.ALL);
    }

    /** Remote: if the host said DRIVER_OK, attaches to the rings and announces; true when READY. */
    boolean tryStart() {
        // Acquire: everything the host did before DRIVER_OK (rings cleared, RX buffers posted) is visible.
        if ((table.status(vdev) & RpmsgAddresses.STATUS_DRIVER_OK) == 0) {
            return false;
        }
        int features = table.gfeatures(vdev);
        RpmsgLink l;
        try {
            Vring txRing = vdevInfo.vring(0);
            Vring rxRing = vdevInfo.vring(1);
            long from = vdevInfo.bufferWindowStart(txRing, rxRing);
            long to = vdevInfo.bufferWindowEnd();
            if (from >= to) {
                throw new IllegalArgumentException("no room for buffers between 0x" + Long.toHexString(from)
                        + " and 0x" + Long.toHexString(to));
            }
            l = vdevInfo.link(features,
                    VirtqueuePort.device(name + ".tx", txRing, region, from, to, Mode.SEND, vdevInfo.kick(0)),
                    VirtqueuePort.device(name + ".rx", rxRing, region, from, to, Mode.RECEIVE, vdevInfo.kick(1)));
        } catch (AddressException | IllegalArgumentException e) {
            shutdown.fail(State.BROKEN, new RpmsgException(Reason.BAD_VDEV, name + ": the host's vdev " + vdev
                    + " does not fit the shared memory: " + e.getMessage(), e));
            return false;
        } catch (RpmsgException e) {
            shutdown.fail(State.BROKEN, e);
            return false;
        }
        synchronized (lock) {
            if (st.state() != State.STARTING) {
                return false;
            }
            st.attach(l);
            st.ready();
        }
        for (RpmsgEndpoint ep : device.endpoints()) {
            try {
                nameService.announce(l, ep);
            } catch (RpmsgException e) {
                LOG.warn("{}: could not announce {}: {}", name, ep, e.getMessage());
            }
        }
        return true;
    }

    /** {@link RpmsgDevice#awaitReady}: serves the device itself while it waits. */
    boolean awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (st.state() != State.READY) {
            st.checkAlive();
            device.process();
            if (st.state() == State.READY) {
                break;
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            LockSupport.parkNanos(DISPATCHER_WAIT_NANOS);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new RpmsgException(Reason.INTERRUPTED, name + ": interrupted waiting for DRIVER_OK");
            }
        }
        return true;
    }
}
