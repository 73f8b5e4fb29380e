import { Dropdown, DropdownItem, DropdownList, MenuToggle } from '@patternfly/react-core';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { useMe, useSignOut } from '../api/session';

export function UserMenu() {
  const me = useMe();
  const signOut = useSignOut();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  if (!me.data) return null;
  return (
    <Dropdown
      isOpen={open}
      onOpenChange={setOpen}
      popperProps={{ position: 'right' }}
      toggle={(ref) => (
        <MenuToggle ref={ref} onClick={() => setOpen(!open)} isExpanded={open} variant="plainText">
          {me.data!.username}
        </MenuToggle>
      )}
    >
      <DropdownList>
        <DropdownItem onClick={() => navigate('/account')}>Account settings</DropdownItem>
        <DropdownItem
          onClick={async () => {
            await signOut();
            navigate('/signin');
          }}
        >
          Sign out
        </DropdownItem>
      </DropdownList>
    </Dropdown>
  );
}
