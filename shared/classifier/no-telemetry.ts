/**
 * onnxruntime 1.30 on Linux starts a telemetry client when it loads (the library carries Microsoft's event
 * collector address) and leaves an empty /tmp/mat-debug-<pid>.log behind every process. A guard in front of a
 * self-hosted model reports nothing to anyone unasked, so the runtime's own switch is set unless the
 * environment already sets it. Imported before onnxruntime-node, which reads it when it starts.
 */
process.env.ORT_DISABLE_TELEMETRY ??= '1';
