"""The unit layer: pure logic, no root, no container, no kernel state changed; each
test takes milliseconds. .ci/run runs it as an unprivileged user."""
