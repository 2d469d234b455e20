/**
 * OpenAMP's Linux userspace reference machine (openamp-system-reference, {@code examples/legacy_apps},
 * machine {@code linux/generic}; docs/protocols.md section 5): {@link io.rptun.core.openamp.OpenAmpLinuxProfile}
 * has the demo's file size, 88-byte resource table, buffer placement and endpoint name, and sets up a Java
 * host or remote device over the demo's file.
 *
 * <p>It is a profile of one machine, wiring the resource table, the memory plan and the heap to an rpmsg
 * device, so it sits beside {@code rpmsg} rather than in it. The socket that carries the demo's kicks is
 * the simulator's ({@code io.rptun.sim.OpenAmpLinuxDriver}).
 */
@NullMarked
package io.rptun.core.openamp;

import org.jspecify.annotations.NullMarked;
