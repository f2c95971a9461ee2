"""Morning-rush and fault drills (issue 7): repeatable scripts that run the real stack
(gunicorn + PostgreSQL + Redis + RQ workers) on loopback, inject a fault during load and
check that no event was lost or duplicated.  Not part of the pytest run; see README.md."""
