import { expect, expectMembers, hostJam, joinJam, test } from './fixtures.js';

test.describe('a jam through the real UI', () => {
  test('a host and two listeners see each other, chat, and a second room stays apart', async ({ person }) => {
    const hana = await person('Hana');
    const code = await hostJam(hana);
    await expect(hana.page).toHaveURL(new RegExp(`/join/${code}$`));
    await expect(hana.page.getByTestId('qr')).toBeVisible();
    await expect(hana.page.getByTestId('join-link')).toContainText(`/join/${code}`);

    // Ana types the code she was told; Ben opens the link he was sent (the code is filled in).
    const ana = await person('Ana');
    await joinJam(ana, code.toLowerCase());
    const ben = await person('Ben');
    await ben.page.goto(`/join/${code}`);
    await expect(ben.page.getByTestId('code-input')).toHaveValue(/\S/);
    await ben.page.getByTestId('name-input').fill('Ben');
    await ben.page.getByTestId('join-button').click();

    for (const p of [hana, ana, ben]) await expectMembers(p.page, ['Hana', 'Ana', 'Ben']);
    await expect(ana.page.locator('[data-testid=member][data-role=host]')).toContainText('Hana');
    await expect(ana.page.locator('[data-testid=member][data-self=true]')).toContainText('Ana');
    await expect(hana.page.getByTestId('elapsed')).toHaveText(/\d+:\d\d/);

    // Chat arrives everywhere; links become links, markup stays text.
    await ana.page.getByTestId('chat-input').fill('listen to <b>this</b> https://example.com/song');
    await ana.page.getByTestId('chat-send').click();
    for (const p of [hana, ana, ben]) {
      const line = p.page.getByTestId('chat-message').last();
      await expect(line).toContainText('Ana');
      await expect(line).toContainText('listen to <b>this</b>');
      await expect(line.locator('a[href="https://example.com/song"]')).toHaveAttribute('rel', /noopener/);
      await expect(line.locator('b')).toHaveCount(0);
    }

    // A second jam on the same server sees nothing of the first.
    const otto = await person('Otto');
    const other = await hostJam(otto);
    expect(other).not.toBe(code);
    await expectMembers(otto.page, ['Otto']);
    await hana.page.getByTestId('chat-input').fill('only for the first jam');
    await hana.page.getByTestId('chat-input').press('Enter');
    await expect(ben.page.getByTestId('chat-message').last()).toContainText('only for the first jam');
    await expect(otto.page.getByTestId('chat-message')).toHaveCount(0);
    await expectMembers(otto.page, ['Otto']);
    await expectMembers(hana.page, ['Hana', 'Ana', 'Ben']);
  });

  test('listeners are told when the host ends the jam', async ({ person }) => {
    const hana = await person('Hana');
    const code = await hostJam(hana);
    const ana = await person('Ana');
    await joinJam(ana, code);
    // Ending throws everyone out, so it takes a second click.
    await hana.page.getByTestId('close-room-button').click();
    await expect(hana.page.getByTestId('close-room-confirm')).toBeVisible();
    await expect(ana.page.getByTestId('room-ended')).toHaveCount(0);
    await hana.page.getByTestId('close-room-confirm').click();
    await expect(ana.page.getByTestId('room-ended')).toContainText(/host ended the jam/i);
    await ana.page.getByTestId('back-button').click();
    await expect(ana.page.getByTestId('host-button')).toBeVisible();
  });

  test('listeners are told at once when the host drops, and the host reclaims the room by reloading', async ({
    person,
  }) => {
    const hana = await person('Hana');
    const code = await hostJam(hana);
    const ana = await person('Ana');
    await joinJam(ana, code);
    await expectMembers(ana.page, ['Hana', 'Ana']);

    // Reloading drops the host's connection; the page comes back and reclaims the jam with its token.
    await hana.page.evaluate(() => window.stop());
    await hana.page.goto('about:blank');
    await expect(ana.page.getByTestId('status')).toContainText(/host/i);
    await expect(ana.page.locator('[data-testid=member][data-role=host]')).toHaveAttribute(
      'data-presence',
      'reconnecting',
    );
    await hana.page.goBack();
    await expect(hana.page.getByTestId('room-code')).toHaveAttribute('data-code', code);
    await expect(hana.page.getByTestId('close-room-button')).toBeVisible();
    await expect(ana.page.locator('[data-testid=member][data-role=host]')).toHaveAttribute(
      'data-presence',
      'online',
    );
    await expect(ana.page.getByTestId('status')).toHaveCount(0);
    await expectMembers(hana.page, ['Hana', 'Ana']);
  });

  test('the jam ends for listeners when the host does not come back', async ({ person }) => {
    const hana = await person('Hana');
    const code = await hostJam(hana);
    const ana = await person('Ana');
    await joinJam(ana, code);
    await hana.page.context().close();
    await expect(ana.page.getByTestId('status')).toContainText(/host/i);
    // The e2e server's host grace period is 8 s.
    await expect(ana.page.getByTestId('room-ended')).toContainText(/didn.t come back/i, { timeout: 30_000 });
  });

  test('a listener who reloads keeps their place instead of joining twice', async ({ person }) => {
    const hana = await person('Hana');
    const code = await hostJam(hana);
    const ana = await person('Ana');
    await joinJam(ana, code);
    const peerId = await ana.page
      .locator('[data-testid=member][data-self=true]')
      .getAttribute('data-peer-id');
    expect(peerId).toMatch(/\S/);
    await ana.page.reload();
    await expect(ana.page.locator('[data-testid=member][data-self=true]')).toHaveAttribute(
      'data-peer-id',
      peerId as string,
    );
    await expectMembers(hana.page, ['Hana', 'Ana']);
  });

  test('wrong codes and taken names are explained in plain words', async ({ person }) => {
    const hana = await person('Hana');
    const code = await hostJam(hana);
    const ana = await person('Ana');
    await ana.page.goto('/');
    await ana.page.getByTestId('name-input').fill('Ana');
    await ana.page.getByTestId('code-input').fill(code === 'ZZZZZZ' ? 'YYYYYY' : 'ZZZZZZ');
    await ana.page.getByTestId('join-button').click();
    await expect(ana.page.getByTestId('error')).toContainText(/no jam with that code/i);
    await ana.page.getByTestId('name-input').fill('hana');
    await ana.page.getByTestId('code-input').fill(code);
    await ana.page.getByTestId('join-button').click();
    await expect(ana.page.getByTestId('error')).toContainText(/already uses that name/i);
  });

  test('the room works on a phone-sized screen', async ({ person }) => {
    const hana = await person('Hana', { width: 390, height: 844 });
    const code = await hostJam(hana);
    const ana = await person('Ana', { width: 360, height: 740 });
    await joinJam(ana, code);
    for (const p of [hana, ana]) {
      await expect(p.page.getByTestId('room-code')).toBeInViewport();
      await p.page.getByTestId('chat-input').scrollIntoViewIfNeeded();
      await expect(p.page.getByTestId('chat-input')).toBeInViewport();
      const overflow = await p.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
    }
  });

  test('desktop Chromium says on the start page it can host and listen, and offers every source', async ({
    person,
  }) => {
    const hana = await person('Hana');
    await hana.page.goto('/');
    const note = hana.page.getByTestId('capabilities');
    await expect(note).toHaveText('This browser can host and listen.');
    await expect(note).toHaveAttribute('data-listen', 'yes');
    await expect(note).toHaveAttribute('data-host', 'yes');
    await expect(note).toHaveAttribute('data-sources', 'tab file mic test');

    await hostJam(hana);
    for (const id of ['source-tab', 'source-mic', 'source-test', 'file-add']) {
      await expect(hana.page.getByTestId(id)).toBeVisible();
    }
    await expect(hana.page.locator('[data-testid^=source-unavailable-]')).toHaveCount(0);
    await expect(hana.page.getByTestId('calibrate-panel')).toHaveCount(1);
    // Nothing is missing, so the room page says nothing about it.
    await expect(hana.page.getByTestId('capabilities')).toHaveCount(0);
  });
});
