import {
  Bullseye,
  Masthead,
  MastheadBrand,
  MastheadContent,
  MastheadLogo,
  MastheadMain,
  MastheadToggle,
  Nav,
  NavItem,
  NavList,
  Page,
  PageSidebar,
  PageSidebarBody,
  PageToggleButton,
  SkipToContent,
  Spinner,
} from '@patternfly/react-core';
import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { useMe } from './api/session';
import { ErrorAlert } from './components/error-alert';
import { UserMenu } from './components/user-menu';
import { SignIn } from './pages/signin';

// Each screen loads when first opened, so the first page load stays small.
const Repositories = lazy(() => import('./pages/repositories'));
const Repository = lazy(() => import('./pages/repository'));
const Organizations = lazy(() => import('./pages/organizations'));
const Organization = lazy(() => import('./pages/organization'));
const Account = lazy(() => import('./pages/account'));
const Superuser = lazy(() => import('./pages/superuser'));
const Authorize = lazy(() => import('./pages/authorize'));

const MAIN_ID = 'main-content';

export function App() {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <Loading />;
  if (me.isError) return <ErrorAlert error={me.error} />;
  if (location.pathname === '/authorize') {
    return (
      <Suspense fallback={<Loading />}>
        <Authorize />
      </Suspense>
    );
  }
  if (!me.data) return <SignIn />;
  return (
    <Shell superuser={me.data.super_user === true}>
      <Suspense fallback={<Loading />}>
        <Routes>
          <Route path="/" element={<Navigate to="/repository" replace />} />
          <Route path="/signin" element={<Navigate to="/repository" replace />} />
          <Route path="/repository" element={<Repositories />} />
          <Route path="/repository/:namespace/*" element={<Repository />} />
          <Route path="/organization" element={<Organizations />} />
          <Route path="/organization/:org" element={<Organization />} />
          <Route path="/account" element={<Account />} />
          {me.data.super_user ? <Route path="/superuser" element={<Superuser />} /> : null}
          <Route path="*" element={<NotFound />} />
        </Routes>
      </Suspense>
    </Shell>
  );
}

function Shell({ superuser, children }: { superuser: boolean; children: React.ReactNode }) {
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const items = [
    { to: '/repository', label: 'Repositories' },
    { to: '/organization', label: 'Organizations' },
    { to: '/account', label: 'Account' },
    ...(superuser ? [{ to: '/superuser', label: 'Superuser' }] : []),
  ];
  const masthead = (
    <Masthead>
      <MastheadMain>
        <MastheadToggle>
          <PageToggleButton isHamburgerButton aria-label="Show or hide the navigation" />
        </MastheadToggle>
        <MastheadBrand>
          <MastheadLogo href="/repository" aria-label="Berth, home">
            <span className="berth-logo">Berth</span>
          </MastheadLogo>
        </MastheadBrand>
      </MastheadMain>
      <MastheadContent>
        <div className="berth-masthead-end">
          <UserMenu />
        </div>
      </MastheadContent>
    </Masthead>
  );
  const sidebar = (
    <PageSidebar>
      <PageSidebarBody>
        <Nav aria-label="Main">
          <NavList>
            {items.map((item) => (
              <NavItem
                key={item.to}
                to={item.to}
                isActive={pathname.startsWith(item.to)}
                onClick={(event) => {
                  event.preventDefault();
                  navigate(item.to);
                }}
              >
                {item.label}
              </NavItem>
            ))}
          </NavList>
        </Nav>
      </PageSidebarBody>
    </PageSidebar>
  );
  return (
    <Page
      masthead={masthead}
      sidebar={sidebar}
      isManagedSidebar
      mainContainerId={MAIN_ID}
      skipToContent={<SkipToContent href={`#${MAIN_ID}`}>Skip to content</SkipToContent>}
    >
      {children}
    </Page>
  );
}

export function Loading() {
  return (
    <Bullseye>
      <Spinner aria-label="Loading" />
    </Bullseye>
  );
}

function NotFound() {
  return <ErrorAlert error={new Error('There is no such page.')} title="Not found" />;
}
