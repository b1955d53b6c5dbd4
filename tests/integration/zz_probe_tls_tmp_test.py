import pytest, test_deliver_tls as T
from deliver_env import world  # noqa

@pytest.fixture(autouse=True)
def dump(world):
    yield
    for e in world.events():
        if e["recipient"]:
            print("\nEVENT", e["recipient"], e["status"], e["dsn"], e["tls"], repr(e["reply"]))
    for t in world.targets:
        for c in t.sessions:
            print("  SESSION", t.host, c.peer, c.commands[:8], c.tls_error)

for name in dir(T):
    if name.startswith("test_"):
        globals()[name] = getattr(T, name)
