-- Admins rename their clinic (the dashboard's clinic page): the name the
-- receptionist and every page use.
GRANT UPDATE (name) ON organizations TO frontdesk_app;
