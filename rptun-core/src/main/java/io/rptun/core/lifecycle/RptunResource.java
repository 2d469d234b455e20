package io.rptun.core.lifecycle;

import io.rptun.core.heap.CarveoutHeap;
import io.rptun.core.layout.MemoryPlan;
import io.rptun.core.layout.PlanOptions;
import io.rptun.core.layout.SharedMemoryPlanner;
import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.memory.WireLayouts;
import io.rptun.core.openamp.OpenAmpLinuxProfile;
import io.rptun.core.virtio.PeerNotifier;
import io.rptun.core.rpmsg.RpmsgAddresses;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgOptions;
import io.rptun.core.rsc.LiveResourceTable;
import io.rptun.core.rsc.ParseMode;
import io.rptun.core.rsc.ParsedResourceTable;
import io.rptun.core.rsc.ResourceTableParser;
import io.rptun.core.rsc.RptunRsc;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The shared memory of a link and how each side brings up its rpmsg device over it: NuttX's
 * {@code get_resource}, plus what the table's profile implies (who lays out, which parse mode, whether
 * the header words are a command mailbox).
 */
public interface RptunResource {
    /**
     * The master lays the memory out and starts the virtio driver; the remote parses what the master
     * wrote and starts the virtio device.
     *
     * @throws io.rptun.core.RptunException (typed) when the table is malformed or does not fit
     */
    Attached attach(boolean master, PeerNotifier notifier, RpmsgOptions options);

    /**
     * A device brought up over the memory.
     *
     * @param device the rpmsg device
     * @param table the live table when it has NuttX's command mailbox, else null
     * @param plan the memory plan (master), else null
     */
    record Attached(RpmsgDevice device, @Nullable LiveResourceTable table, @Nullable MemoryPlan plan) {
    }

    /**
     * NuttX's standard table over {@code memory} (a whole region: table at offset 0, then the vrings and
     * the carveout heap). The master zeroes the region, writes {@code table} with a carveout that spans
     * the rest of it, plans and applies the layout (a vring da of 0/ANY is carved from the carveout), and
     * starts the host device. The remote parses the table in {@link ParseMode#NUTTX} (untrusted: every
     * field is checked) and attaches. The header's reserved words are the command mailbox.
     *
     * @param basePa the physical address of {@code memory}'s first byte
     */
    static RptunResource nuttx(MemorySegment memory, long basePa, AddressEnvironment env, RptunRsc table) {
        Objects.requireNonNull(memory, "memory");
        Objects.requireNonNull(env, "env");
        Objects.requireNonNull(table, "table");
        return (master, notifier, options) -> {
            SharedRegion region = SharedRegion.of(memory, basePa, env);
            if (!master) {
                ParsedResourceTable parsed = ResourceTableParser.parse(memory, ParseMode.NUTTX);
                LiveResourceTable live = parsed.attach(memory);
                // RpmsgDevice takes the deprecated rpmsg type until its split is merged: of() goes with it.
                return new Attached(RpmsgDevice.remote(region, live, notifier, options), live,
                        null);
            }
            long size = memory.byteSize();
            long reserve = table.generation().size();
            RptunRsc sized = table.withCarveout(RpmsgAddresses.ANY & 0xFFFF_FFFFL, RpmsgAddresses.ANY & 0xFFFF_FFFFL,
                    size - WireLayouts.alignUp(reserve, 0x1000));
            byte[] bytes = sized.toBytes();
            memory.fill((byte) 0);
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, memory, 0, bytes.length);
            ParsedResourceTable parsed = ResourceTableParser.parse(memory, ParseMode.NUTTX);
            MemoryPlan plan = SharedMemoryPlanner.plan(parsed.table(),
                    PlanOptions.of(size).withBasePa(basePa).withEnv(env).withTableReserve(reserve));
            LiveResourceTable live = parsed.attach(memory);
            plan.apply(memory, live);
            assignNotifyIds(parsed.table(), live);
            CarveoutHeap heap = plan.carveoutHeap(options.vdev());
            return new Attached(RpmsgDevice.host(region, live, heap, notifier, options), live,
                    plan);
        };
    }

    /**
     * Gives every vdev and vring whose notify id is ANY the lowest free id, in table order (vdev, then its
     * vrings), and writes it back into the table, as OpenAMP's {@code remoteproc_create_virtio} does on the
     * master: a peer then sees real ids in the kicks and in the table.
     */
    static void assignNotifyIds(io.rptun.core.rsc.ResourceTable table, LiveResourceTable live) {
        java.util.BitSet used = new java.util.BitSet();
        java.util.List<io.rptun.core.rsc.VdevResource> vdevs = table.vdevs();
        for (var v : vdevs) {
            if (v.notifyId() != RpmsgAddresses.ANY && v.notifyId() >= 0) {
                used.set(v.notifyId());
            }
            for (var r : v.vrings()) {
                if (r.notifyId() != RpmsgAddresses.ANY && r.notifyId() >= 0) {
                    used.set(r.notifyId());
                }
            }
        }
        for (int i = 0; i < vdevs.size(); i++) {
            var v = vdevs.get(i);
            if (v.notifyId() == RpmsgAddresses.ANY) {
                int id = used.nextClearBit(0);
                used.set(id);
                live.setVdevNotifyId(i, id);
            }
            for (int j = 0; j < v.vrings().size(); j++) {
                if (v.vrings().get(j).notifyId() == RpmsgAddresses.ANY) {
                    int id = used.nextClearBit(0);
                    used.set(id);
                    live.setVringNotifyId(i, j, id);
                }
            }
        }
    }

    /**
     * OpenAMP's Linux machine ({@link OpenAmpLinuxProfile}): {@code shm} is the whole shared file, every
     * address a file offset. The remote's driver must have written the 88-byte table
     * ({@link OpenAmpLinuxProfile#writeTable}) before it listened for the host, as the C remote does; the
     * host parses it strictly ({@link ParseMode#OPENAMP}). There is no command mailbox.
     */
    static RptunResource openAmpLinux(MemorySegment shm) {
        Objects.requireNonNull(shm, "shm");
        return (master, notifier, options) -> {
            if (master) {
                return new Attached(OpenAmpLinuxProfile.host(shm, notifier, options), null, null);
            }
            return new Attached(OpenAmpLinuxProfile.remote(shm, notifier, options), null, null);
        };
    }
}
