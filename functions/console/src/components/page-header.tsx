import { Breadcrumb, BreadcrumbItem, PageSection, Title } from '@patternfly/react-core';
import { Link } from 'react-router';

/** A page's one `h1`, under the trail that leads to it. */
export function PageHeader({
  title,
  trail = [],
  children,
}: {
  title: string;
  trail?: { to: string; label: string }[];
  children?: React.ReactNode;
}) {
  return (
    <PageSection>
      {trail.length > 0 ? (
        <Breadcrumb>
          {trail.map((t) => (
            <BreadcrumbItem key={t.to} render={() => <Link to={t.to}>{t.label}</Link>} />
          ))}
          <BreadcrumbItem isActive>{title}</BreadcrumbItem>
        </Breadcrumb>
      ) : null}
      <Title headingLevel="h1" className="berth-title">
        {title}
      </Title>
      {children}
    </PageSection>
  );
}
