/**
 * The RPTUN lifecycle: {@link io.rptun.core.lifecycle.Rptun} runs one link to a remote processor behind a
 * driver SPI modelled on NuttX's {@code rptun_ops} ({@link io.rptun.core.lifecycle.RptunDriver}). The
 * master lays out the shared memory and boots the remote; the remote attaches; start, stop, reset and
 * panic change an observable state; NuttX's command mailbox ({@link io.rptun.core.lifecycle.RptunMailbox})
 * carries reset, panic, stop and ready to a peer that has no driver op for them. Each session's device is
 * served by rpmsg's one serving loop ({@link io.rptun.core.rpmsg.ServingLoop}); the lifecycle adds its
 * mailbox, its RUNNING announcement and its FAILED state as the loop's hooks.
 */
@NullMarked
package io.rptun.core.lifecycle;

import org.jspecify.annotations.NullMarked;
